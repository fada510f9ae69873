/**
 * The start of PCP's wire protocol, as libpcp speaks it (src/include/pcp/libpcp.h, p_error.c,
 * p_creds.c, connect.c): every PDU is a header of three big-endian 32-bit words (length in bytes
 * including the header, type, sender) and a body of 32-bit words.
 */
export const PDU_ERROR = 0x7000
export const PDU_DESC_REQ = 0x7004
export const PDU_DESC = 0x7005
export const PDU_CREDS = 0x700c
/** PDU_VERSION2, the only protocol version PCP 3 and later speak. */
export const PDU_VERSION = 2
/** c_type of a version credential. */
const CVERSION = 0x1

/** Feature bits of __pmPDUInfo (the greeting) and of the CVERSION credential. */
export const PDU_FLAG = {
  SECURE: 1 << 0,
  COMPRESS: 1 << 1,
  AUTH: 1 << 2,
  CREDS_REQD: 1 << 3,
  SECURE_ACK: 1 << 4,
  NO_NSS_INIT: 1 << 5,
  CONTAINER: 1 << 6,
  CERT_REQD: 1 << 7,
  BAD_LABEL: 1 << 8,
  LABELS: 1 << 9,
  HIGHRES: 1 << 10,
  DESCS: 1 << 11,
} as const

export const HEADER_BYTES = 12

export interface Pdu {
  type: number
  from: number
  body: Buffer
}

/** One PDU from the start of a buffer: the PDU and the bytes used, or undefined when incomplete. */
export function decodePdu(data: Buffer): {pdu: Pdu; used: number} | undefined | {error: string} {
  if (data.length < HEADER_BYTES) return undefined
  const length = data.readInt32BE(0)
  if (length < HEADER_BYTES || length > 1 << 20) return {error: `not a PCP PDU (length ${length})`}
  if (data.length < length) return undefined
  return {
    pdu: {type: data.readInt32BE(4), from: data.readInt32BE(8), body: data.subarray(HEADER_BYTES, length)},
    used: length,
  }
}

/** The greeting pmcd sends first: an extended error PDU with a status and its features. */
export interface Greeting {
  /** 0 when pmcd accepts the connection, else a PCP error code (e.g. -12387 PM_ERR_PERMISSION). */
  status: number
  version: number
  features: number
}

/** __pmDecodeXtendError on the greeting, then __ntohpmPDUInfo on its datum. */
export function decodeGreeting(pdu: Pdu): Greeting | undefined {
  if (pdu.type !== PDU_ERROR || pdu.body.length < 4) return undefined
  const status = pdu.body.readInt32BE(0)
  if (pdu.body.length < 8) return {status, version: 1, features: 0}
  const info = pdu.body.readUInt32BE(4)
  return {status, version: (info >>> 24) & 0x7f, features: info & 0xffff}
}

/** The status of a plain error PDU (the secure-ack, or a refusal). */
export function decodeError(pdu: Pdu): number | undefined {
  return pdu.type === PDU_ERROR && pdu.body.length >= 4 ? pdu.body.readInt32BE(0) : undefined
}

/** __pmSendCreds with one CVERSION credential asking for these features. */
export function encodeVersionCreds(flags: number, from: number): Buffer {
  const pdu = Buffer.alloc(HEADER_BYTES + 8)
  pdu.writeInt32BE(pdu.length, 0)
  pdu.writeInt32BE(PDU_CREDS, 4)
  pdu.writeInt32BE(from, 8)
  pdu.writeInt32BE(1, 12)
  pdu.writeUInt32BE(((CVERSION << 24) | (PDU_VERSION << 16) | (flags & 0xffff)) >>> 0, 16)
  return pdu
}

/** pmcd.version's PMID, 2.0.7 (domain 2, cluster 0, item 7: domain << 22 | cluster << 10 | item). */
export const PMCD_VERSION_PMID = (2 << 22) | 7

/** __pmSendDescReq: ask for one metric's descriptor (read-only: nothing on the collector changes). */
export function encodeDescReq(pmid: number, from: number): Buffer {
  const pdu = Buffer.alloc(HEADER_BYTES + 4)
  pdu.writeInt32BE(pdu.length, 0)
  pdu.writeInt32BE(PDU_DESC_REQ, 4)
  pdu.writeInt32BE(from, 8)
  pdu.writeUInt32BE(pmid >>> 0, 12)
  return pdu
}

/** The names of the feature bits set, for reports. */
export function featureNames(features: number): string[] {
  return Object.entries(PDU_FLAG)
    .filter(([, bit]) => features & bit)
    .map(([name]) => name.toLowerCase().replace(/_/g, '-'))
}

/** PCP error codes a probe meets, as `pmerr -l` lists them (PCP 6.0.3). */
export const PCP_ERRORS: Record<number, string> = {
  [-12366]: 'PM_ERR_IPC: IPC protocol failure',
  [-12387]: 'PM_ERR_PERMISSION: no permission to perform requested operation',
  [-12388]: 'PM_ERR_CONNLIMIT: PMCD connection limit for this host exceeded',
  [-12408]: 'PM_ERR_NEEDCLIENTCERT: PMCD requires a client certificate',
}

export const pcpError = (code: number) => PCP_ERRORS[code] ?? `PCP error ${code}`
