// Original file: proto/task.proto


/**
 * Take no new tasks; finish the running ones (a user's drain, or the coordinator's).
 */
export interface Drain {
  'reason'?: (string);
}

/**
 * Take no new tasks; finish the running ones (a user's drain, or the coordinator's).
 */
export interface Drain__Output {
  'reason': (string);
}
