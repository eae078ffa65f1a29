// cluster/versions/wrong-type.ts — WrongTypeError: a command of one type met
// a key whose value (its winner's type tag) is of another, as Redis's
// checkType. The server replies `-WRONGTYPE Operation against a key holding
// the wrong kind of value`.
export class WrongTypeError extends Error {
  constructor() {
    super('WRONGTYPE Operation against a key holding the wrong kind of value');
    this.name = 'WrongTypeError';
  }
}
