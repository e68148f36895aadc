export declare const REQUIRED_MAJOR: number;
/** The message with the fix when `version` is older than Node.js 22; undefined when it will do. */
export declare function nodeVersionProblem(version?: string, executable?: string): string | undefined;
/** Exits with the fix (code 1) when this Node is too old. */
export declare function requireNode(): void;
