export function freePort(): Promise<number>;
export function acceptsConnections(port: number, timeoutMs?: number): Promise<boolean>;
export function untilListening(port: number): Promise<void>;
