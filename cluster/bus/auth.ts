// cluster/bus/auth.ts — the cluster bus handshake, in RESP like the rest of
// the stream. Mutual HMAC challenge over the shared cluster secret:
//
//   connector -> listener   AUTH-CHALLENGE <client nonce>
//   listener  -> connector  <server nonce>                       (bulk)
//   connector -> listener   AUTH-PROOF <node id> <client proof>
//   listener  -> connector  [<node id>, <server proof>]          (array)
//
// proof = HMAC-SHA256(secret, "dynkv-bus-<role>\0" | client nonce |
// server nonce | node id), nonces 32 random bytes. Each proof covers both
// nonces, so it is fresh on both sides and useless on another connection;
// the role label keeps a listener's proof from being replayed as a
// connector's. The connector proves first: a listener gives its proof only
// to a node that knows the secret, so a stranger cannot collect HMACs to
// guess a weak secret offline. The listener learns the peer's node id only
// from a proof that checks out; the connector checks that the listener is
// the node it meant to reach.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const AUTH_CHALLENGE = 'AUTH-CHALLENGE';
export const AUTH_PROOF = 'AUTH-PROOF';
export const NONCE_BYTES = 32;

export type HandshakeRole = 'client' | 'server';

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export function handshakeProof(secret: string, role: HandshakeRole, clientNonce: Buffer, serverNonce: Buffer, nodeId: string): Buffer {
  return createHmac('sha256', secret).update(`dynkv-bus-${role}\0`).update(clientNonce).update(serverNonce).update(nodeId, 'utf8').digest();
}

/** Compares in constant time (for equal lengths; a length is no secret). */
export function proofMatches(expected: Buffer, given: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(expected, given);
}
