// Original file: proto/task.proto


/**
 * Take tasks again after a user's Drain. A worker that is stopping (SIGTERM) ignores it.
 */
export interface Resume {
  'reason'?: (string);
}

/**
 * Take tasks again after a user's Drain. A worker that is stopping (SIGTERM) ignores it.
 */
export interface Resume__Output {
  'reason': (string);
}
