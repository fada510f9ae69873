import {generateRsaKey} from '../../src/pki/keys.js'
import {makeCa, makeLeaf} from '../pki/fixtures.js'

/** One file of a host tree: content, octal mode, owner (user and group of the same name). */
export interface TreeFile {
  content: string
  mode: string
  owner: string
}

/**
 * Real certificates at the paths of a collector set up as `cert init --ca-dir /root/pcp-ca` and
 * `cert issue --user alice` leave them, made now (certificates expire, so trees cannot keep them
 * as fixtures): the CA with its key apart, the collector's server and client pairs, alice's pair.
 */
export async function realTlsFiles(): Promise<Record<string, TreeFile>> {
  const ca = await makeCa()
  const [server, client, alice] = await Promise.all([
    generateRsaKey(2048).then((key) => makeLeaf(ca, {key, san: [{type: 'dns', value: 'pcp1.example.com'}]})),
    generateRsaKey(2048).then((key) => makeLeaf(ca, {key, kind: 'client', san: []})),
    generateRsaKey(2048).then((key) => makeLeaf(ca, {key, kind: 'client', san: []})),
  ])
  const cert = (content: string, owner = 'root'): TreeFile => ({content, mode: '0644', owner})
  const key = (content: string, owner: string): TreeFile => ({content, mode: '0600', owner})
  return {
    '/root/pcp-ca/ca.crt': cert(ca.pem),
    '/root/pcp-ca/ca.key': key(ca.key, 'root'),
    '/etc/pcp/tls/ca.crt': cert(ca.pem),
    '/etc/pcp/tls/server.crt': cert(server.pem),
    '/etc/pcp/tls/server.key': key(server.key, 'pcp'),
    '/etc/pcp/tls/client.crt': cert(client.pem),
    '/etc/pcp/tls/client.key': key(client.key, 'pcp'),
    '/home/alice/.pcp/tls/ca.crt': cert(ca.pem, 'alice'),
    '/home/alice/.pcp/tls/client.crt': cert(alice.pem, 'alice'),
    '/home/alice/.pcp/tls/client.key': key(alice.key, 'alice'),
  }
}

/** Files as host tree entries (YAML, for buildTree). */
export function treeEntries(files: Record<string, TreeFile>): string {
  return Object.entries(files)
    .map(
      ([path, file]) =>
        `  - path: ${path}\n    mode: "${file.mode}"\n    owner: ${file.owner}\n    content: ${JSON.stringify(file.content)}\n`,
    )
    .join('')
}
