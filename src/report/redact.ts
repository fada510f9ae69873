/*
 * Secrets never reach an output: not a report (text, JSON, SARIF files get uploaded), not a plan,
 * not a diff. Two kinds are recognised: values of settings whose names say password, secret or token
 * (`tls-key-password = ...`, `http_auth_token: ...`), and key or certificate material (a PEM block,
 * a long run of base64) that a symlink or a careless copy put where a configuration was expected.
 */

const PEM = /-----BEGIN ([A-Z0-9 ]{1,40})-----[\s\S]*?(?:-----END \1-----|$)/g

/** Base64 long enough to be key material; `SHA256:` fingerprints are public and stay. */
const BASE64_RUN = /(?<![A-Za-z0-9+/]|SHA256:|MD5:)[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])/g

/** Key material mixes cases and digits; a long path or word of letters alone is left as it is. */
const keyLike = (run: string) => /[0-9+]/.test(run) && /[A-Z]/.test(run) && /[a-z]/.test(run)

/** `name = value`, `name: value`, `NAME="value"`: a setting whose name says it holds a secret. */
const SECRET_SETTING =
  /((?:^|[\s,;{"'])[A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token)[A-Za-z0-9_.-]*["']?[ \t]*[=:][ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s,;'"]+)/gi

/**
 * Where the first secret in a line begins (the value of a password, token, ... setting, or key
 * material), or undefined when the line holds none: what a command may quote of the line is
 * what comes before it.
 */
export function secretStart(text: string): number | undefined {
  const starts: number[] = []
  const setting = new RegExp(SECRET_SETTING.source, 'i').exec(text)
  if (setting) starts.push(setting.index + (setting[1] as string).length)
  const pem = /-----(?:BEGIN|END) /.exec(text)
  if (pem) starts.push(pem.index)
  // An SSH public key's blob (AAAA..., as in authorized_keys) is public, not a secret.
  for (const m of text.matchAll(new RegExp(BASE64_RUN.source, 'g')))
    if (keyLike(m[0]) && !m[0].startsWith('AAAA')) {
      starts.push(m.index)
      break
    }
  return starts.length === 0 ? undefined : Math.min(...starts)
}

/** What a PEM block's label says it holds: "a PEM private key", "a PEM certificate". */
export function pemKind(label: string): string {
  if (label.includes('PRIVATE KEY')) return 'a PEM private key'
  if (label.includes('CERTIFICATE')) return 'a PEM certificate'
  if (label.includes('PUBLIC KEY')) return 'a PEM public key'
  return `a PEM block (${label.toLowerCase()})`
}

/**
 * What a line of text looks like when it is key or certificate material rather than what the file
 * should hold, or undefined: "a PEM private key" for its BEGIN line, "base64 data (as in a PEM
 * block or a key)" for a long base64 run.
 */
export function keyMaterialKind(text: string): string | undefined {
  const begin = /-----(?:BEGIN|END) ([A-Z0-9 ]{1,40})-----/.exec(text)
  if (begin) return pemKind(begin[1] as string)
  for (const run of text.match(BASE64_RUN) ?? [])
    if (keyLike(run)) return 'base64 data (as in a PEM block or a key)'
  return undefined
}

/** The text with every secret value and every piece of key material replaced by what it is. */
export function redactSecrets(text: string): string {
  if (!/[A-Za-z0-9+/]{40}|-----BEGIN|password|passwd|passphrase|secret|token/i.test(text)) return text
  return text
    .replace(PEM, (_block, label: string) => `[${pemKind(label)}, not shown]`)
    .replace(BASE64_RUN, (run) =>
      keyLike(run) ? `[${run.length} characters of base64 data, not shown]` : run,
    )
    .replace(SECRET_SETTING, (_all, name: string, value: string) =>
      value.startsWith('[') ? `${name}${value}` : `${name}[secret, not shown]`,
    )
}

/**
 * A unified diff with secrets redacted line by line (a diff line's marker stays): what a writer's
 * dry run prints of a file that may hold a password or a key.
 */
export function redactDiff(diff: string): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('---') || line.startsWith('+++') || line.startsWith('@@')) return line
      const marker = /^[-+ ]/.test(line) ? line.slice(0, 1) : ''
      return marker + redactSecrets(line.slice(marker.length))
    })
    .join('\n')
}
