// The dependency direction of the monorepo, checked by `pnpm lint`:
//   protocol <- db
//   protocol <- scheduler-* <- wrapper/tier <- cli
// Nothing imports the CLI. Scheduler packages depend on @gator/protocol only.
const pkg = (name) => `^(packages|apps)/${name}/`;
module.exports = {
  forbidden: [
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      from: { pathNot: pkg('cli') },
      to: { path: ['^apps/cli/', '@gator/cli'] },
    },
    {
      name: 'protocol-depends-on-no-gator-package',
      severity: 'error',
      from: { path: pkg('protocol') },
      to: { path: ['^(packages|apps)/(?!protocol/)', 'node_modules/@gator/(?!protocol)'] },
    },
    {
      name: 'db-depends-on-protocol-only',
      severity: 'error',
      from: { path: pkg('db') },
      to: { path: ['^(packages|apps)/(?!(protocol|db)/)', 'node_modules/@gator/(?!(protocol|db))'] },
    },
    {
      name: 'schedulers-depend-on-protocol-only',
      severity: 'error',
      from: { path: '^packages/scheduler-[^/]+/' },
      to: {
        path: ['^(packages|apps)/(?!(protocol|scheduler-[^/]+)/)', 'node_modules/@gator/(?!protocol)'],
      },
    },
    {
      name: 'schedulers-do-not-import-each-other',
      severity: 'error',
      from: { path: '^packages/(scheduler-[^/]+)/' },
      to: { path: '^packages/scheduler-', pathNot: '^packages/$1/' },
    },
    {
      name: 'wrapper-and-tier-do-not-import-apps',
      severity: 'error',
      from: { path: '^packages/(wrapper|tier)/' },
      to: { path: ['^apps/', 'node_modules/@gator/(cli|hub)'] },
    },
    {
      name: 'libraries-do-not-import-apps',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['/dist/', 'node_modules/\\.pnpm'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    combinedDependencies: true,
  },
};
