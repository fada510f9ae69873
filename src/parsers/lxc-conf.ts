/**
 * A Proxmox container config (`/etc/pve/lxc/<vmid>.conf`) as PVE::LXC::Config `parse_pct_config`
 * reads it: the main (live) section, then `[pve:pending]` and `[snapshot]` sections. Native keys
 * (`key: value`, the last one wins) are type-checked as `check_type` does; raw `lxc.*` keys keep
 * their order, and the ones PVE refuses are marked as not applied. The parser is pure and never
 * throws: PVE's warnings come back as diagnostics with their line.
 */

export interface LxcDiagnostic {
  line: number
  /** error: the line has no effect as written, or the container cannot start with it. warning: PVE keeps it but warns. */
  severity: 'error' | 'warning'
  message: string
}

/** One `key: value` line. */
export interface LxcSetting {
  key: string
  /** As written (trailing blanks trimmed, as PVE trims them). */
  value: string
  /** After PVE's type check: booleans as `1`/`0`, integers without leading zeros; the raw value if the check fails. */
  typed: string
  line: number
}

/** One `lxc.*` line. */
export interface LxcRawEntry {
  key: string
  value: string
  separator: ':' | '='
  line: number
  /** False when PVE refuses the key (it never reaches LXC). */
  applied: boolean
  /** Set for keys PVE or LXC deprecate: what to use instead. */
  replacement?: string
}

/** `rootfs` or `mpN`, from its property string. */
export interface LxcMountpoint {
  key: string
  line: number
  /** Storage volume, host directory or host device. */
  volume: string
  /** `classify_mountpoint`: a host path is `bind` (or `device` under /dev/), anything else a storage `volume`. */
  type: 'volume' | 'bind' | 'device'
  /** Path inside the container (`/` for rootfs). */
  path?: string
  /** The other properties (`ro`, `backup`, `size`, `mountoptions`...), booleans as `1`/`0`. */
  options: Record<string, string>
  readOnly: boolean
  /** Included in vzdump backups (`mountpoint_backup_enabled`): rootfs always, bind and device mounts never. */
  backup: boolean
  /** Why PVE cannot use the value (the container then fails to start). */
  error?: string
}

/** `devN`: a device passed through to the container. */
export interface LxcDevice {
  key: string
  line: number
  path?: string
  options: Record<string, string>
  denyWrite: boolean
  error?: string
}

/** `features:` (nesting, keyctl, fuse, mknod, force_rw_sys, mount). */
export interface LxcFeatures {
  line: number
  values: Record<string, string>
  nesting: boolean
  keyctl: boolean
  fuse: boolean
  mknod: boolean
  forceRwSys: boolean
  /** File system types the container may mount (`mount=nfs;cifs`). */
  mount: string[]
  error?: string
}

/** `lxc.idmap: u|g <container id> <host id> <count>` (or the deprecated `lxc.id_map`). */
export interface LxcIdMap {
  line: number
  key: string
  type: 'u' | 'g'
  containerId: number
  hostId: number
  count: number
}

/** `lxc.mount.entry`: an fstab line, its target relative to the container root unless absolute. */
export interface LxcMountEntry {
  line: number
  source: string
  target: string
  fsType: string
  options: string[]
  dump?: string
  pass?: string
}

/** `lxc.cgroup2.devices.allow|deny` (and the cgroup v1 `lxc.cgroup.devices.*`). */
export interface LxcDeviceRule {
  line: number
  key: string
  allow: boolean
  rule: string
  /** `a` (all devices), `b` (block) or `c` (character). */
  type?: 'a' | 'b' | 'c'
  major?: string
  minor?: string
  access?: string
}

export interface LxcDescriptionLine {
  line: number
  /** Decoded (%-escapes and UTF-8). */
  text: string
}

export interface LxcSection {
  /** `''` for the main section, `pve:pending`, or the snapshot name. */
  name: string
  headerLine?: number
  /** The description as PVE assembles it: `#` lines (decoded, each ending in a newline) and `description:` values. */
  description: string
  descriptionLines: LxcDescriptionLine[]
  /** Effective native settings: the last line of each key. */
  settings: Record<string, LxcSetting>
  /** Every native `key: value` line, in file order. */
  occurrences: LxcSetting[]
  raw: LxcRawEntry[]
  /** `unprivileged` absent (or false) means a privileged container. */
  privileged: boolean
  rootfs?: LxcMountpoint
  /** `mpN`, by N. */
  mountpoints: LxcMountpoint[]
  /** `devN`, by N. */
  devices: LxcDevice[]
  features?: LxcFeatures
  idmaps: LxcIdMap[]
  mountEntries: LxcMountEntry[]
  deviceRules: LxcDeviceRule[]
  /** The last `lxc.apparmor.profile`. */
  apparmorProfile?: {value: string; line: number}
  /** Capabilities dropped by `lxc.cap.drop`, after empty assignments reset the list. */
  capDrop: string[]
  /** `lxc.mount.auto` entries, after empty assignments reset the list. */
  mountAuto: string[]
  /** `snapstate: prepare|delete` (a snapshot being made or removed). */
  snapstate?: string
  /** `delete:` of the pending section. */
  pendingDelete?: string
}

export interface LxcConfig {
  main: LxcSection
  pending?: LxcSection
  /** In file order; a repeated name replaces the earlier section, as in PVE. */
  snapshots: LxcSection[]
  diagnostics: LxcDiagnostic[]
}

/** Raw keys PVE passes to LXC (`$valid_lxc_conf_keys`); a string is PVE's reason to refuse the key. */
const VALID_RAW_KEYS: Record<string, true | string> = Object.fromEntries([
  ...[
    'lxc.apparmor.profile',
    'lxc.apparmor.allow_incomplete',
    'lxc.apparmor.allow_nesting',
    'lxc.apparmor.raw',
    'lxc.selinux.context',
    'lxc.include',
    'lxc.arch',
    'lxc.uts.name',
    'lxc.signal.halt',
    'lxc.signal.reboot',
    'lxc.signal.stop',
    'lxc.init.cmd',
    'lxc.init.cwd',
    'lxc.pty.max',
    'lxc.console.logfile',
    'lxc.console.path',
    'lxc.tty.max',
    'lxc.devtty.dir',
    'lxc.hook.autodev',
    'lxc.autodev',
    'lxc.kmsg',
    'lxc.mount.fstab',
    'lxc.mount.entry',
    'lxc.mount.auto',
    'lxc.rootfs.mount',
    'lxc.cap.drop',
    'lxc.cap.keep',
    'lxc.seccomp.profile',
    'lxc.seccomp.notify.proxy',
    'lxc.seccomp.notify.cookie',
    'lxc.idmap',
    'lxc.hook.pre-start',
    'lxc.hook.pre-mount',
    'lxc.hook.mount',
    'lxc.hook.start',
    'lxc.hook.stop',
    'lxc.hook.post-stop',
    'lxc.hook.clone',
    'lxc.hook.destroy',
    'lxc.hook.version',
    'lxc.log.level',
    'lxc.log.file',
    'lxc.start.auto',
    'lxc.start.delay',
    'lxc.start.order',
    'lxc.group',
    'lxc.environment',
    'lxc.environment.runtime',
    'lxc.environment.hooks',
    'lxc.sysctl.fs.mqueue',
    'lxc.sysctl.kernel.msgmax',
    'lxc.sysctl.kernel.msgmnb',
    'lxc.sysctl.kernel.msgmni',
    'lxc.sysctl.kernel.sem',
    'lxc.sysctl.kernel.shmall',
    'lxc.sysctl.kernel.shmmax',
    'lxc.sysctl.kernel.shmmni',
    'lxc.sysctl.kernel.shm_rmid_forced',
  ].map((key) => [key, true]),
  ['lxc.rootfs.path', 'lxc.rootfs.path is auto generated from rootfs'],
  [
    'lxc.rootfs.options',
    'lxc.rootfs.options is not supported, please use mount point options in the "rootfs" key',
  ],
])

/** Keys removed with LXC 3.0 (`$deprecated_lxc_conf_keys`): PVE still passes them on, with a warning. */
const DEPRECATED_RAW_KEYS: Record<string, string> = {
  'lxc.aa_profile': 'lxc.apparmor.profile',
  'lxc.aa_allow_incomplete': 'lxc.apparmor.allow_incomplete',
  'lxc.console': 'lxc.console.path',
  'lxc.devttydir': 'lxc.tty.dir',
  'lxc.haltsignal': 'lxc.signal.halt',
  'lxc.rebootsignal': 'lxc.signal.reboot',
  'lxc.stopsignal': 'lxc.signal.stop',
  'lxc.id_map': 'lxc.idmap',
  'lxc.init_cmd': 'lxc.init.cmd',
  'lxc.loglevel': 'lxc.log.level',
  'lxc.logfile': 'lxc.log.file',
  'lxc.mount': 'lxc.mount.fstab',
  'lxc.network.type': 'lxc.net.INDEX.type',
  'lxc.network.flags': 'lxc.net.INDEX.flags',
  'lxc.network.link': 'lxc.net.INDEX.link',
  'lxc.network.mtu': 'lxc.net.INDEX.mtu',
  'lxc.network.name': 'lxc.net.INDEX.name',
  'lxc.network.hwaddr': 'lxc.net.INDEX.hwaddr',
  'lxc.network.ipv4': 'lxc.net.INDEX.ipv4.address',
  'lxc.network.ipv4.gateway': 'lxc.net.INDEX.ipv4.gateway',
  'lxc.network.ipv6': 'lxc.net.INDEX.ipv6.address',
  'lxc.network.ipv6.gateway': 'lxc.net.INDEX.ipv6.gateway',
  'lxc.network.script.up': 'lxc.net.INDEX.script.up',
  'lxc.network.script.down': 'lxc.net.INDEX.script.down',
  'lxc.pts': 'lxc.pty.max',
  'lxc.se_context': 'lxc.selinux.context',
  'lxc.seccomp': 'lxc.seccomp.profile',
  'lxc.tty': 'lxc.tty.max',
  'lxc.utsname': 'lxc.uts.name',
}

type ValueType = 'boolean' | 'integer' | 'number' | 'string' | 'property'

/** The native keys of `$confdesc` and the type `check_type` checks them against. */
const NATIVE_TYPES: Record<string, ValueType> = {
  onboot: 'boolean',
  template: 'boolean',
  console: 'boolean',
  protection: 'boolean',
  unprivileged: 'boolean',
  debug: 'boolean',
  ipmanagehost: 'boolean',
  tty: 'integer',
  cores: 'integer',
  cpuunits: 'integer',
  memory: 'integer',
  swap: 'integer',
  snaptime: 'integer',
  cpulimit: 'number',
  lock: 'string',
  startup: 'string',
  arch: 'string',
  ostype: 'string',
  hostname: 'string',
  description: 'string',
  searchdomain: 'string',
  nameserver: 'string',
  timezone: 'string',
  parent: 'string',
  cmode: 'string',
  entrypoint: 'string',
  hookscript: 'string',
  tags: 'string',
  rootfs: 'property',
  features: 'property',
}

/** Numbered keys and how many of each PVE knows (net0-31, mp0-255, unused0-255, dev0-255). */
const NUMBERED_KEYS: Record<string, number> = {net: 32, mp: 256, unused: 256, dev: 256}

/*
 * The expressions every line or value is matched against, made once: a regular expression literal
 * inside a function is a new RegExp object each time it is evaluated, several per line of every
 * config (none of these has the g or y flag, so sharing them keeps no state between matches).
 */
const BLANK = /^\s*$/
const NUMBERED_KEY = /^(net|mp|unused|dev)(\d+)$/
const TRUE_WORD = /^(1|on|yes|true)$/i
const FALSE_WORD = /^(0|off|no|false)$/i
const KEY_VALUE = /^([^=]+)=(.+)$/s
const PENDING_HEADER = /^\[pve:pending\]\s*$/i
const SNAPSHOT_HEADER = /^\[([a-z][a-z0-9_-]+)\]\s*$/i
const COMMENT_LINE = /^#(.*)$/
const RAW_LINE = /^(lxc\.[a-z0-9_\-.]+)(:|\s*=)\s*(.*?)\s*$/
const DESCRIPTION_LINE = /^description:\s*(.*\S)\s*$/
const SNAPSTATE_LINE = /snapstate:\s*(prepare|delete)\s*$/
const DELETE_LINE = /^delete:\s*(.*\S)\s*$/
const NATIVE_LINE = /^([a-z][a-z_]*\d*):\s*(.+?)\s*$/

function nativeType(key: string): ValueType | undefined {
  const numbered = NUMBERED_KEY.exec(key)
  if (numbered)
    return Number(numbered[2]) < (NUMBERED_KEYS[numbered[1] as string] as number) ? 'property' : undefined
  return Object.hasOwn(NATIVE_TYPES, key) ? NATIVE_TYPES[key] : undefined
}

/** PVE::JSONSchema::parse_boolean. */
function parseBoolean(value: string): '1' | '0' | undefined {
  if (TRUE_WORD.test(value)) return '1'
  if (FALSE_WORD.test(value)) return '0'
  return undefined
}

/** `check_type`: the typed value, or why PVE warns (it then keeps the raw value). */
function checkType(key: string, value: string): {typed: string; problem?: string} {
  const type = nativeType(key)
  if (type === undefined) return {typed: value, problem: `unknown setting '${key}'`}
  if (/[\n\r]/.test(value)) return {typed: value, problem: 'property contains a line feed'}
  if (type === 'boolean') {
    const typed = parseBoolean(value)
    return typed === undefined
      ? {typed: value, problem: `type check ('boolean') failed - got '${value}'`}
      : {typed}
  }
  if (type === 'integer')
    return /^\d+$/.test(value)
      ? {typed: String(BigInt(value))}
      : {typed: value, problem: `type check ('integer') failed - got '${value}'`}
  if (type === 'number')
    return /^\d+(\.\d+)?$/.test(value)
      ? {typed: value}
      : {typed: value, problem: `type check ('number') failed - got '${value}'`}
  return {typed: value}
}

type PropertyKind = 'string' | 'boolean' | 'integer'

interface PropertySchema {
  keys: Record<string, PropertyKind>
  defaultKey?: string
  required: string[]
}

const ROOTFS_KEYS: Record<string, PropertyKind> = {
  volume: 'string',
  size: 'string',
  acl: 'boolean',
  mountoptions: 'string',
  ro: 'boolean',
  quota: 'boolean',
  replicate: 'boolean',
  shared: 'boolean',
}
const SCHEMAS: Record<'rootfs' | 'mp' | 'dev' | 'features', PropertySchema> = {
  rootfs: {keys: ROOTFS_KEYS, defaultKey: 'volume', required: ['volume']},
  mp: {
    keys: {...ROOTFS_KEYS, backup: 'boolean', mp: 'string'},
    defaultKey: 'volume',
    required: ['volume', 'mp'],
  },
  dev: {
    keys: {path: 'string', mode: 'string', uid: 'integer', gid: 'integer', 'deny-write': 'boolean'},
    defaultKey: 'path',
    required: [],
  },
  features: {
    keys: {
      mount: 'string',
      nesting: 'boolean',
      keyctl: 'boolean',
      fuse: 'boolean',
      mknod: 'boolean',
      force_rw_sys: 'boolean',
    },
    required: [],
  },
}

/** PVE::JSONSchema::parse_property_string and its schema check: the values, or the first error. */
function parsePropertyString(
  schema: PropertySchema,
  data: string,
): {values: Record<string, string>; error?: string} {
  const values: Record<string, string> = Object.create(null) as Record<string, string>
  const fail = (error: string) => ({values, error})
  let defaultSeen = false
  for (const part of data.split(',')) {
    if (BLANK.test(part)) continue
    const pair = KEY_VALUE.exec(part)
    if (pair) {
      const [, key = '', value = ''] = pair
      if (key in values) return fail(`duplicate key in comma-separated list property: ${key}`)
      const kind = Object.hasOwn(schema.keys, key) ? schema.keys[key] : undefined
      if (!kind) return fail(`invalid key in comma-separated list property: ${key}`)
      values[key] = kind === 'boolean' ? (parseBoolean(value) ?? value) : value
    } else if (!part.includes('=')) {
      if (!schema.defaultKey) return fail('value without key, but schema does not define a default key')
      if (defaultSeen || schema.defaultKey in values)
        return fail(`duplicate key in comma-separated list property: ${schema.defaultKey}`)
      defaultSeen = true
      values[schema.defaultKey] = part
    } else return fail('missing key in comma-separated list property')
  }
  for (const [key, value] of Object.entries(values)) {
    const kind = schema.keys[key]
    if (kind === 'boolean' && value !== '0' && value !== '1')
      return fail(`${key}: type check ('boolean') failed - got '${value}'`)
    if (kind === 'integer' && !/^[+-]?\d+$/.test(value))
      return fail(`${key}: type check ('integer') failed - got '${value}'`)
  }
  const missing = schema.required.find((key) => !(key in values))
  return missing ? fail(`${missing}: property is missing and it is not optional`) : {values}
}

/** `verify_lxc_mp_string`: no `/./`, `/../`, trailing `/.` or `/..`, or leading `../`. */
const badMountPath = (path: string) =>
  /\/\.\.?\//.test(path) || /\/\.\.?$/.test(path) || path.startsWith('../')

function parseMountpoint(setting: LxcSetting): LxcMountpoint {
  const rootfs = setting.key === 'rootfs'
  const {values, error} = parsePropertyString(rootfs ? SCHEMAS.rootfs : SCHEMAS.mp, setting.value)
  const {volume = '', mp, ...options} = values
  const type = volume.startsWith('/') ? (volume.startsWith('/dev/') ? 'device' : 'bind') : 'volume'
  const path = rootfs ? '/' : mp
  const pathError = [volume, path].find((p) => p !== undefined && badMountPath(p))
  const problem =
    error ?? (pathError !== undefined ? `${pathError} contains illegal character sequences` : undefined)
  return {
    key: setting.key,
    line: setting.line,
    volume,
    type,
    ...(path === undefined ? {} : {path}),
    options,
    readOnly: options.ro === '1',
    backup: rootfs || (type === 'volume' && options.backup === '1'),
    ...(problem === undefined ? {} : {error: problem}),
  }
}

function parseDevice(setting: LxcSetting): LxcDevice {
  const {values, error} = parsePropertyString(SCHEMAS.dev, setting.value)
  const {path, ...options} = values
  const problem =
    error ??
    (path === undefined
      ? 'Path has to be defined'
      : /\/\.\.?(?:\/|$)/.test(path) || !path.startsWith('/dev/')
        ? `${path} is not a valid device path`
        : options.mode !== undefined && !/^0[0-7]{3}$/.test(options.mode)
          ? `mode: value does not match the regex pattern`
          : undefined)
  return {
    key: setting.key,
    line: setting.line,
    ...(path === undefined ? {} : {path}),
    options,
    denyWrite: options['deny-write'] === '1',
    ...(problem === undefined ? {} : {error: problem}),
  }
}

function parseFeatures(setting: LxcSetting): LxcFeatures {
  const {values, error} = parsePropertyString(SCHEMAS.features, setting.value)
  const on = (key: string) => values[key] === '1'
  return {
    line: setting.line,
    values,
    nesting: on('nesting'),
    keyctl: on('keyctl'),
    fuse: on('fuse'),
    mknod: on('mknod'),
    forceRwSys: on('force_rw_sys'),
    mount: (values.mount ?? '').split(';').filter((fs) => fs.trim() !== ''),
    ...(error === undefined ? {} : {error}),
  }
}

/** PVE::Tools::decode_text: %XX escapes, then UTF-8. */
function decodeText(text: string): string {
  // Most description lines have no escape: decoding would give the same string back.
  if (!text.includes('%')) return text
  const bytes = Buffer.from(text, 'utf8')
  const out = Buffer.allocUnsafe(bytes.length)
  const hexDigit = (b: number | undefined) =>
    b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66))
  let length = 0
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x25 && hexDigit(bytes[i + 1]) && hexDigit(bytes[i + 2])) {
      out[length++] = Number.parseInt(bytes.toString('latin1', i + 1, i + 3), 16)
      i += 2
    } else out[length++] = bytes[i] as number
  }
  return new TextDecoder('utf-8').decode(out.subarray(0, length))
}

function newSection(name: string, headerLine?: number): LxcSection {
  return {
    name,
    ...(headerLine === undefined ? {} : {headerLine}),
    description: '',
    descriptionLines: [],
    settings: Object.create(null) as Record<string, LxcSetting>,
    occurrences: [],
    raw: [],
    privileged: true,
    mountpoints: [],
    devices: [],
    idmaps: [],
    mountEntries: [],
    deviceRules: [],
    capDrop: [],
    mountAuto: [],
  }
}

/** Interpret the settings and raw keys of a section once all its lines are read. */
function interpretSection(section: LxcSection, diagnostics: LxcDiagnostic[]): void {
  const {settings} = section
  const unprivileged = settings.unprivileged?.typed
  // PVE tests the value as Perl does: only an absent value, '' and '0' are false.
  section.privileged = unprivileged === undefined || unprivileged === '' || unprivileged === '0'
  const byIndex = (prefix: 'mp' | 'dev') => {
    const numbered: LxcSetting[] = []
    for (const key in settings)
      if (NUMBERED_KEY.exec(key)?.[1] === prefix) numbered.push(settings[key] as LxcSetting)
    return numbered.sort((a, b) => Number(a.key.slice(prefix.length)) - Number(b.key.slice(prefix.length)))
  }
  const report = (line: number, error: string | undefined) => {
    if (error !== undefined) diagnostics.push({line, severity: 'error', message: error})
  }
  if (settings.rootfs) {
    section.rootfs = parseMountpoint(settings.rootfs)
    report(section.rootfs.line, section.rootfs.error && `rootfs: ${section.rootfs.error}`)
  }
  section.mountpoints = byIndex('mp').map(parseMountpoint)
  section.devices = byIndex('dev').map(parseDevice)
  for (const item of [...section.mountpoints, ...section.devices])
    report(item.line, item.error && `${item.key}: ${item.error}`)
  if (settings.features) {
    section.features = parseFeatures(settings.features)
    report(section.features.line, section.features.error && `features: ${section.features.error}`)
  }

  for (const entry of section.raw) {
    if (!entry.applied) continue
    const {key, value, line} = entry
    if (key === 'lxc.idmap' || key === 'lxc.id_map') {
      const map = /^([ug])\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(value)
      if (map)
        section.idmaps.push({
          line,
          key,
          type: map[1] as 'u' | 'g',
          containerId: Number(map[2]),
          hostId: Number(map[3]),
          count: Number(map[4]),
        })
      else
        diagnostics.push({
          line,
          severity: 'error',
          message: `${key}: expected 'u|g <container id> <host id> <count>'`,
        })
    } else if (key === 'lxc.mount.entry') {
      const [source = '', target = '', fsType = '', options = '', dump, pass] = value
        .split(/\s+/)
        .filter(Boolean)
      section.mountEntries.push({
        line,
        source,
        target,
        fsType,
        options: options.split(',').filter(Boolean),
        ...(dump === undefined ? {} : {dump}),
        ...(pass === undefined ? {} : {pass}),
      })
    } else if (/^lxc\.cgroup2?\.devices\.(allow|deny)$/.test(key)) {
      const rule = /^([abc])(?:\s+(\*|\d+):(\*|\d+)(?:\s+([rwm]+))?)?\s*$/.exec(value)
      section.deviceRules.push({
        line,
        key,
        allow: key.endsWith('allow'),
        rule: value,
        ...(rule
          ? {
              type: rule[1] as 'a' | 'b' | 'c',
              ...(rule[2] === undefined ? {} : {major: rule[2], minor: rule[3]}),
              ...(rule[4] === undefined ? {} : {access: rule[4]}),
            }
          : {}),
      })
    } else if (key === 'lxc.apparmor.profile') section.apparmorProfile = {value, line}
    // Appended in place (one copy per line made a long config quadratic); empty clears the list.
    else if (key === 'lxc.cap.drop') {
      if (value === '') section.capDrop = []
      else section.capDrop.push(...value.split(/\s+/).filter(Boolean))
    } else if (key === 'lxc.mount.auto') {
      if (value === '') section.mountAuto = []
      else section.mountAuto.push(...value.split(/\s+/).filter(Boolean))
    }
  }
}

/** `is_valid_lxc_conf_key`: applied or not, a replacement for deprecated keys, and PVE's warning. */
function classifyRawKey(key: string): {
  applied: boolean
  replacement?: string
  message?: string
  severity?: 'error' | 'warning'
} {
  if (key.startsWith('lxc.limit.'))
    return {
      applied: true,
      replacement: `lxc.prlimit.${key.slice(10)}`,
      message: `${key}: lxc.limit.* was renamed to lxc.prlimit.*`,
      severity: 'warning',
    }
  const renamed = Object.hasOwn(DEPRECATED_RAW_KEYS, key) ? DEPRECATED_RAW_KEYS[key] : undefined
  if (renamed)
    return {
      applied: true,
      replacement: renamed,
      message: `${key} is deprecated and was renamed to ${renamed}`,
      severity: 'warning',
    }
  const validity = Object.hasOwn(VALID_RAW_KEYS, key) ? VALID_RAW_KEYS[key] : undefined
  if (typeof validity === 'string') return {applied: false, message: `${key}: ${validity}`, severity: 'error'}
  if (validity) return {applied: true}
  if (key.startsWith('lxc.cgroup.'))
    return {
      applied: true,
      replacement: `lxc.cgroup2.${key.slice(11)}`,
      message: `${key} is a cgroup v1 key: PVE 7 and later run the unified cgroup v2 hierarchy, use lxc.cgroup2.*`,
      severity: 'warning',
    }
  if (/^lxc\.(cgroup2|prlimit|net)\./.test(key)) return {applied: true}
  return {applied: false, severity: 'error'}
}

/** Parse a whole container config. */
export function parseLxcConfig(text: string): LxcConfig {
  const diagnostics: LxcDiagnostic[] = []
  const main = newSection('')
  const config: LxcConfig = {main, snapshots: [], diagnostics}
  let section = main
  const sections = [main]
  // Perl's split(/\n/) drops trailing empty lines; they are blank anyway.
  text.split('\n').forEach((line, index) => {
    const lineNo = index + 1
    if (BLANK.test(line)) return
    // Only a line that starts with "[" can be a header, and only one with "#" a comment: the
    // other lines skip those expressions, and each line runs only the expressions its kind needs.
    const header = !line.startsWith('[')
      ? undefined
      : PENDING_HEADER.test(line)
        ? 'pve:pending'
        : SNAPSHOT_HEADER.exec(line)?.[1]
    if (header !== undefined) {
      section = newSection(header, lineNo)
      if (header === 'pve:pending') {
        if (config.pending)
          diagnostics.push({
            line: lineNo,
            severity: 'warning',
            message: 'a second [pve:pending] replaces the first',
          })
        config.pending = section
      } else {
        const twin = config.snapshots.findIndex((s) => s.name === header)
        if (twin >= 0) {
          diagnostics.push({
            line: lineNo,
            severity: 'warning',
            message: `a second [${header}] replaces the first`,
          })
          config.snapshots.splice(twin, 1)
        }
        config.snapshots.push(section)
      }
      sections.push(section)
      return
    }
    const comment = line.startsWith('#') ? COMMENT_LINE.exec(line) : null
    if (comment) {
      const decoded = decodeText(comment[1] as string)
      section.descriptionLines.push({line: lineNo, text: decoded})
      section.description += `${decoded}\n`
      return
    }
    const raw = RAW_LINE.exec(line)
    let description: RegExpExecArray | null = null
    let snapstate: RegExpExecArray | null = null
    let pendingDelete: RegExpExecArray | null = null
    let native: RegExpExecArray | null = null
    if (raw) {
      const [, key = '', separator = '', value = ''] = raw
      const {applied, replacement, message, severity} = classifyRawKey(key)
      if (message !== undefined && severity !== undefined) diagnostics.push({line: lineNo, severity, message})
      else if (!applied)
        diagnostics.push({line: lineNo, severity: 'error', message: `unable to parse config: ${line}`})
      section.raw.push({
        key,
        value,
        separator: separator.trim() === '=' ? '=' : ':',
        line: lineNo,
        applied,
        ...(replacement === undefined ? {} : {replacement}),
      })
    } else if ((description = DESCRIPTION_LINE.exec(line)))
      section.description += decodeText(description[1] as string)
    else if ((snapstate = SNAPSTATE_LINE.exec(line))) section.snapstate = snapstate[1] as string
    else if ((pendingDelete = DELETE_LINE.exec(line))) {
      if (section.name === 'pve:pending') section.pendingDelete = pendingDelete[1] as string
      else
        diagnostics.push({
          line: lineNo,
          severity: 'error',
          message: "property 'delete' is only allowed in [pve:pending]",
        })
    } else if ((native = NATIVE_LINE.exec(line))) {
      const [, key = '', value = ''] = native
      const {typed, problem} = checkType(key, value)
      if (problem)
        diagnostics.push({
          line: lineNo,
          severity: 'warning',
          message: `unable to parse value of '${key}' - ${problem}`,
        })
      const setting = {key, value, typed, line: lineNo}
      section.occurrences.push(setting)
      section.settings[key] = setting
    } else diagnostics.push({line: lineNo, severity: 'error', message: `unable to parse config: ${line}`})
  })
  for (const s of sections) interpretSection(s, diagnostics)
  diagnostics.sort((a, b) => a.line - b.line)
  return config
}
