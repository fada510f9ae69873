import {Flags} from '@oclif/core'

import {KEY_SIZES} from '../../pki/keys.js'

/** Flags `cert init` and `cert issue` share. */
export const certFlags = {
  san: Flags.string({
    description: 'A DNS name or IP address for subjectAltName (repeatable, or comma-separated)',
    multiple: true,
    delimiter: ',',
  }),
  days: Flags.integer({description: 'Days the certificate is valid', default: 365, min: 1, max: 36_500}),
  'key-size': Flags.string({
    description: 'RSA key size in bits',
    options: KEY_SIZES.map(String),
    default: '2048',
  }),
  force: Flags.boolean({
    description: 'Replace existing keys and certificates (the old files are kept as .pcp-harden.bak)',
    default: false,
  }),
}
