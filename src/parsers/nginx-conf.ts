import type {Host} from '../host/host.js'

/**
 * nginx's configuration syntax (src/core/ngx_conf_file.c, ngx_conf_read_token): directives are
 * words ended by `;` or followed by a `{ ... }` block; `#` starts a comment outside quotes; words
 * may be quoted with `"` or `'` (a backslash escapes the next character) or bare (a backslash
 * escapes there too). Every directive keeps its file and line.
 */
export interface NginxDirective {
  name: string
  args: string[]
  file: string
  line: number
  /** The directives inside its `{ }`, when it has a block. */
  block?: NginxDirective[]
}

export interface NginxProblem {
  file: string
  line: number
  message: string
}

export interface NginxConf {
  file: string
  directives: NginxDirective[]
  problems: NginxProblem[]
}

type Token = {kind: 'word'; text: string; line: number} | {kind: ';' | '{' | '}'; line: number}

function tokenize(text: string, file: string, problems: NginxProblem[]): Token[] {
  const tokens: Token[] = []
  let line = 1
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (c === '\n') {
      line++
      i++
    } else if (c === ' ' || c === '\t' || c === '\r') i++
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++
    } else if (c === ';' || c === '{' || c === '}') {
      tokens.push({kind: c, line})
      i++
    } else if (c === '"' || c === "'") {
      const start = line
      let word = ''
      i++
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) {
          const next = text[i + 1] as string
          word += next === c || next === '\\' ? next : `\\${next}`
          if (next === '\n') line++
          i += 2
          continue
        }
        if (text[i] === '\n') line++
        word += text[i]
        i++
      }
      if (i >= text.length) {
        problems.push({
          file,
          line: start,
          message: `unterminated ${c === '"' ? 'double' : 'single'}-quoted string`,
        })
        break
      }
      i++
      tokens.push({kind: 'word', text: word, line: start})
    } else {
      let word = ''
      while (i < text.length && !/[\s;{}]/.test(text[i] as string)) {
        if (text[i] === '\\' && i + 1 < text.length) {
          word += text.slice(i, i + 2)
          i += 2
          continue
        }
        // `#` inside a bare word is part of it (nginx starts a comment only where a token starts).
        word += text[i]
        i++
      }
      tokens.push({kind: 'word', text: word, line})
    }
  }
  return tokens
}

/** Parse one nginx configuration file (includes are not followed here: see readNginxConf). */
export function parseNginxConf(text: string, file: string): NginxConf {
  const problems: NginxProblem[] = []
  const tokens = tokenize(text, file, problems)
  let index = 0
  const parseBlock = (depth: number, openLine: number): NginxDirective[] => {
    const directives: NginxDirective[] = []
    let words: {text: string; line: number}[] = []
    while (index < tokens.length) {
      const token = tokens[index++] as Token
      if (token.kind === 'word') {
        words.push(token)
        continue
      }
      if (token.kind === '}') {
        if (words.length > 0)
          problems.push({
            file,
            line: words[0]?.line ?? token.line,
            message: `"${words[0]?.text}" has no ";" before "}"`,
          })
        if (depth === 0) {
          problems.push({file, line: token.line, message: 'unexpected "}"'})
          words = []
          continue
        }
        return directives
      }
      const [first, ...rest] = words
      words = []
      if (!first) {
        problems.push({file, line: token.line, message: `unexpected "${token.kind}"`})
        if (token.kind === '{') parseBlock(depth + 1, token.line)
        continue
      }
      const directive: NginxDirective = {
        name: first.text,
        args: rest.map((w) => w.text),
        file,
        line: first.line,
      }
      if (token.kind === '{') directive.block = parseBlock(depth + 1, token.line)
      directives.push(directive)
    }
    if (words.length > 0)
      problems.push({
        file,
        line: words[0]?.line ?? 0,
        message: `unexpected end of file: "${words[0]?.text}" has no ";"`,
      })
    if (depth > 0)
      problems.push({file, line: openLine, message: 'unexpected end of file: this "{" is never closed'})
    return directives
  }
  const directives = parseBlock(0, 0)
  return {file, directives, problems}
}

/** Every directive, depth first, each with the chain of blocks it sits in (outermost first). */
export function walkNginx(
  directives: readonly NginxDirective[],
  visit: (directive: NginxDirective, parents: readonly NginxDirective[]) => void,
  parents: readonly NginxDirective[] = [],
): void {
  for (const directive of directives) {
    visit(directive, parents)
    if (directive.block) walkNginx(directive.block, visit, [...parents, directive])
  }
}

export const NGINX_CONF = '/etc/nginx/nginx.conf'
const NGINX_DIR = '/etc/nginx'
const MAX_INCLUDE_DEPTH = 16

/** Host paths an include pattern names: relative to /etc/nginx, `*` and `?` in the last component. */
async function includeTargets(host: Host, pattern: string): Promise<string[]> {
  const absolute = pattern.startsWith('/') ? pattern : `${NGINX_DIR}/${pattern}`
  const slash = absolute.lastIndexOf('/')
  const dir = absolute.slice(0, slash) || '/'
  const base = absolute.slice(slash + 1)
  if (!/[*?[]/.test(base)) return [absolute]
  const names = await host.list(dir)
  if (!names.ok) return []
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  )
  return names.value.filter((n) => !n.startsWith('.') && re.test(n)).map((n) => `${dir}/${n}`)
}

/**
 * The root's nginx configuration with every `include` replaced by the directives of the files it
 * names (in name order, as nginx's glob does), or, without an nginx.conf, the files Debian's
 * nginx.conf includes (conf.d/*.conf, sites-enabled/*) read as the http block's content.
 */
export async function readNginxConf(
  host: Host,
): Promise<{directives: NginxDirective[]; problems: NginxProblem[]; files: string[]} | undefined> {
  const problems: NginxProblem[] = []
  const files: string[] = []
  const load = async (path: string, depth: number): Promise<NginxDirective[]> => {
    const text = await host.readText(path)
    if (!text.ok) {
      problems.push({file: path, line: 0, message: text.message})
      return []
    }
    files.push(path)
    const conf = parseNginxConf(text.value, path)
    problems.push(...conf.problems)
    return expand(conf.directives, depth)
  }
  const expand = async (directives: NginxDirective[], depth: number): Promise<NginxDirective[]> => {
    const out: NginxDirective[] = []
    for (const d of directives) {
      if (d.name === 'include' && d.args.length === 1 && !d.block) {
        if (depth >= MAX_INCLUDE_DEPTH) {
          problems.push({file: d.file, line: d.line, message: 'includes nested too deeply (a loop?)'})
          continue
        }
        for (const target of await includeTargets(host, d.args[0] as string))
          out.push(...(await load(target, depth + 1)))
        continue
      }
      out.push(d.block ? {...d, block: await expand(d.block, depth)} : d)
    }
    return out
  }
  if (await host.exists(NGINX_CONF)) return {directives: await load(NGINX_CONF, 0), problems, files}
  const sites = [
    ...(await includeTargets(host, 'conf.d/*.conf')),
    ...(await includeTargets(host, 'sites-enabled/*')),
  ]
  if (sites.length === 0) return undefined
  const inner: NginxDirective[] = []
  for (const site of sites) inner.push(...(await load(site, 1)))
  return {directives: [{name: 'http', args: [], file: NGINX_CONF, line: 0, block: inner}], problems, files}
}
