import type { UserConfig } from 'vitest/config';
export declare const alias: { find: RegExp; replacement: string }[];
export declare function defineGatorVitestConfig(overrides?: UserConfig): UserConfig;
