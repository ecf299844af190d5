/** Builds the web UI into `outDir` (app.js, style.css, index.html); resolves to `outDir`. */
export function buildUi(outDir: string, options?: { minify?: boolean }): Promise<string>;
