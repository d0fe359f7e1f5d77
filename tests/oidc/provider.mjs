// Test-only OpenID Provider (oidc-provider 9.x).
// Usage: node provider.mjs CONFIG.json
//   CONFIG.json: { "port": 0, "users_file": "/path/users.json",
//                  "clients": [ <oidc-provider client metadata>, ... ] }
//   users.json (re-read on every lookup, so a test may rewrite it):
//     { "alice": { "email": "alice@example.org", "email_verified": true,
//                  "groups": ["kokemus-coordinators"] }, ... }
// Prints one line `READY {"issuer": "http://127.0.0.1:<port>"}` on stdout once listening.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const readUsers = () => JSON.parse(readFileSync(cfg.users_file, 'utf8'));

// Fresh signing key per run (instead of oidc-provider's built-in dev key).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

let handler = (req, res) => { res.statusCode = 503; res.end(); };
const server = createServer((req, res) => handler(req, res));
server.listen(cfg.port ?? 0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: cfg.clients,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // scope -> claims; a custom scope "groups" carries the groups claim.
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'offline_access', 'email', 'groups'],
    // false => scope claims also go into the ID token (default true puts them only in /me).
    conformIdTokenClaims: false,
    pkce: { required: () => true }, // PKCE (S256) for every client, confidential too
    features: {
      devInteractions: { enabled: true }, // POST /interaction/:uid prompt=login&login=<id>, then prompt=consent
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
    },
    async findAccount(ctx, id) {
      const user = readUsers()[id];
      if (!user) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...user }; } };
    },
    ttl: { AccessToken: 3600, IdToken: 3600, DeviceCode: 600, RefreshToken: 86400 },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  handler = provider.callback();
  console.log(`READY ${JSON.stringify({ issuer })}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
