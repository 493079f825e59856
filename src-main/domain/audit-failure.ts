// What a case shows when its latest audit did not give a verdict for a reason other than the model's wording.

export interface AuditFailureState {
  /** failed: the engine gave no output for this case (error, input too long); truncated: the output was cut off. */
  kind: 'failed' | 'truncated';
  /** The error as the runner recorded it. */
  reason: string;
  at: string;
}

/** One failed case of an audit batch, as the runner lists it. */
export interface FailedAuditCase {
  caseId: string;
  seq: number;
  error: string;
}
