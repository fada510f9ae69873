import type {PulseBreak} from './break.js'

/** Seed tree entries (YAML list items) that a host hardened as seed 004 describes has for the PSP-ACCOUNT, PSP-CONF and the proxy's PSP-FILE checks. */
export const ENTRIES = ``

/** Each way to break the seed tree that a PSP-ACCOUNT, PSP-CONF and the proxy's PSP-FILE check must report, with every failure it causes. */
export const BREAKS: PulseBreak[] = []
