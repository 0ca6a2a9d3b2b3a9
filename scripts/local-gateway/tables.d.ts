/** The physical name of each table, by its logical id in serverless.yml. */
export function createTables(endpoint: string, resources: Record<string, unknown>, names?: Record<string, string>): Promise<Record<string, string>>;
export function createTableInput(properties: Record<string, unknown>): Record<string, unknown>;
