/**
 * How much pcp-harden reads. Every configuration it audits is a few kilobytes; a file far larger
 * is a mistake or an attack (a 50 MB tls.conf, a device), and reading it would only stall the
 * audit. Whoever meets a larger file says so with these words.
 */

/** The most any file read through the host view or given as an argument may hold. */
export const READ_LIMIT = 16 * 1024 * 1024

/**
 * The most a YAML file (the proxy's config.yaml, a waivers file) may hold: the YAML library's
 * time grows faster than the text on some shapes (deep flow nesting, long folded scalars).
 */
export const YAML_LIMIT = 64 * 1024

/** `52 MB`, `70 KiB`: a size as a person reads it. */
export function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / (1024 * 1024))} MB`
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`
  return `${bytes} bytes`
}

/** The sentence for a file over a limit: "is 52 MB, larger than the 16 MiB pcp-harden reads". */
export function tooLargeText(bytes: number, limit: number): string {
  const cap = limit >= 1024 * 1024 ? `${limit / (1024 * 1024)} MiB` : `${limit / 1024} KiB`
  return `is ${sizeText(bytes)}, larger than the ${cap} pcp-harden reads`
}
