/**
 * The programs a fleet audit's session runs on a node, all of them read-only (see ssh-backend.ts's
 * READER_SCRIPT). In a module of its own so that verify's flags can name them in --help without
 * loading the SSH backend on the plain local path.
 */
export const REMOTE_PROGRAMS = ['sh', 'find', 'stat', 'readlink', 'dd', 'head', 'base64'] as const
