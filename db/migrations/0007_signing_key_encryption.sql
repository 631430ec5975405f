-- The private halves of the access-token signing keys are kept encrypted (docs/decisions/0011):
-- AES-256-GCM under a secret from SIGNING_KEY_SECRETS, with the key's kid as additional
-- authenticated data. `private_key_ciphertext` is the 12-byte IV, the ciphertext and the 16-byte
-- tag, in that order; `private_key_secret_id` names the secret it was encrypted with.
ALTER TABLE auth_signing_key
  ADD COLUMN private_key_ciphertext bytea CHECK (octet_length(private_key_ciphertext) > 28),
  ADD COLUMN private_key_secret_id text CHECK (private_key_secret_id ~ '^[A-Za-z0-9._-]{1,64}$'),
  ADD CONSTRAINT auth_signing_key_private_key_sealed CHECK ((private_key_ciphertext IS NULL) = (private_key_secret_id IS NULL));

-- Keys stored before encryption lose their private half: they keep verifying the tokens they
-- signed until they retire, but without a ciphertext they never sign again, so the next sign-in
-- creates an encrypted key. The column is emptied before it is dropped: dropping alone would leave
-- the private keys in the live rows (only the next vacuum removes the emptied rows' old versions).
UPDATE auth_signing_key SET private_jwk = '{}'::jsonb;
ALTER TABLE auth_signing_key DROP COLUMN private_jwk;
