/** Entry of dist/child-schedulers.cjs: the cluster schedulers a child layer loads on first use (child-extras.ts). */
export * as slurm from '@gator/scheduler-slurm';
export * as sge from '@gator/scheduler-sge';
