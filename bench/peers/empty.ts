/**
 * A function that does nothing (bench/cold-start.ts): what the harness itself costs a cold process, with a
 * function's environment (NODE_OPTIONS included), its event file and its answer, next to node -e 0.
 */
export async function handler() {
  return { statusCode: 200, headers: {}, body: '' };
}
