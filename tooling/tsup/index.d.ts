import type { Options } from 'tsup';
export declare function defineGatorConfig(overrides?: Options): Options | Options[] | ((o: Options) => Options);
