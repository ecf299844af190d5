/** Entry of dist/child-re2js.cjs: RE2 for `log_rules` patterns, which a child layer loads on first use (child-extras.ts). */
export * as re2js from 're2js';
