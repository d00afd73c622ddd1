/**
 * Errors of bad input: each names the file, the JSON path, what was expected and what was found.
 * The CLI prints them and exits with code 2 before writing anything.
 */

/** A problem with the experiment file or the command line (exit code 2). */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    message: string,
    readonly file?: string,
    readonly path?: string,
  ) {
    super(file ? `${file}${path ? ` at ${path}` : ''}: ${message}` : path ? `${path}: ${message}` : message);
  }
}

/** A value in an error message: strings in quotes, short JSON otherwise. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || value === undefined) return String(value);
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
