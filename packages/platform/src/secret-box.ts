import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals small secrets (AWS or registry credentials) for storage or transit: AES-256-GCM, a fresh IV per
 * value, bound to an owner through the additional authenticated data.
 */
export interface SecretBox {
  /** `aad` binds the ciphertext to its owner (the session id): moved to another row, it will not open. */
  seal(plaintext: string, aad: string): string;
  /** Throws when the value was altered, sealed with another key or for another owner. */
  open(sealed: string, aad: string): string;
}

const version = 'v1';
const ivBytes = 12;
const tagBytes = 16;

/**
 * @example
 * const box = createSecretBox(key32);
 * const sealed = box.seal(JSON.stringify(credentials), sessionId);
 */
export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  return {
    seal(plaintext, aad) {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${version}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },
    open(sealed, aad) {
      const [tag, data] = sealed.split('.');
      if (tag !== version || !data) throw new Error('sealed value has an unknown format');
      const raw = Buffer.from(data, 'base64url');
      if (raw.length < ivBytes + tagBytes) throw new Error('sealed value is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, ivBytes));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(raw.subarray(ivBytes, ivBytes + tagBytes));
      return Buffer.concat([decipher.update(raw.subarray(ivBytes + tagBytes)), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}
