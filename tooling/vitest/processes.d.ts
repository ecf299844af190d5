export declare const MARKER: string;
export declare function processesWithMarker(value: string, exclude?: number[]): { pid: number; cmdline: string }[];
