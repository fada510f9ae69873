/**
 * pmcd.log, as pmcd 6 writes it (src/pmcd/src/client.c, libpcp's pmNotifyErr): a header
 * `Log for pmcd on HOST started Mon Dec  7 17:19:40 2026`, stamped lines
 * `[Mon Dec  7 17:20:00] pmcd(4187) Alert: ...`, and unstamped lines between them, such as
 * `access violation from host 10.1.2.3` (printed once per host until pmcd restarts or rereads
 * its configuration) and the `endclient` line after it. An unstamped line takes the time of the
 * stamp before it (or of the header).
 */

export interface PmcdEvents {
  /** Times of `access violation from host` lines: hosts refused by [access] or a connection limit. */
  accessRejections: Date[]
  /** Times of SASL authentication failures (`Password verification failed`, unknown users). */
  authFailures: Date[]
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

const HEADER = /^Log for pmcd on \S+ started \w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})$/
const STAMP = /^\[\w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)\] /
const ACCESS = /^access violation from host \S+/
/** Cyrus SASL's messages for a bad password and for an unknown user, through pmcd's log callback. */
const AUTH = /\bpmcd\(\d+\) \w+: (Password verification failed|unable to canonify user and get auxprops)\b/

/** pmcd writes local time (ctime) without a year; the year comes from the header, or from `now`. */
function localDate(year: number, month: string, day: string, h: string, m: string, s: string): Date {
  return new Date(year, MONTHS.indexOf(month), Number(day), Number(h), Number(m), Number(s))
}

export function parsePmcdLog(text: string, now: Date): PmcdEvents {
  const events: PmcdEvents = {accessRejections: [], authFailures: []}
  let year = now.getFullYear()
  let last: Date | undefined
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line)
    if (header) {
      const [, month = '', day = '', h = '', m = '', s = '', y = ''] = header
      year = Number(y)
      last = localDate(year, month, day, h, m, s)
      continue
    }
    const stamp = STAMP.exec(line)
    if (stamp) {
      const [, month = '', day = '', h = '', m = '', s = ''] = stamp
      const at = localDate(year, month, day, h, m, s)
      // A stamp earlier than the one before it: the log crossed a new year.
      if (last && at.getTime() < last.getTime() - 86_400_000) year++
      last = localDate(year, month, day, h, m, s)
      if (AUTH.test(line)) events.authFailures.push(last)
      continue
    }
    if (ACCESS.test(line)) events.accessRejections.push(last ?? now)
  }
  return events
}
