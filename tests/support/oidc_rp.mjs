// An independent OpenID relying party for the tests: panva's openid-client (OpenID Certified), run by node.
// Usage: node oidc_rp.mjs <modules dir> '<json command>'; prints one JSON object (the result, or {"error": ...}).
// Commands: start (discovery + authorization URL with PKCE S256, state and nonce), finish (the callback URL
// exchanged for tokens, the ID token validated, userinfo, then a refresh), refresh, verify (an ID token against
// the issuer's JWKS with panva's jose: signature, iss, aud, exp).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, raw] = process.argv.slice(2);
const load = (name, file) => import(pathToFileURL(join(modules, name, file)).href);
const client = await load('openid-client', 'build/index.js');
const jose = await load('jose', 'dist/webapi/index.js');
const command = JSON.parse(raw);

async function configuration() {
  const options = { execute: [client.allowInsecureRequests] }; // http on 127.0.0.1 in the tests
  if (command.client_secret) {
    return client.discovery(new URL(command.issuer), command.client_id, command.client_secret, undefined, options);
  }
  return client.discovery(new URL(command.issuer), command.client_id, undefined, client.None(), options);
}

async function run() {
  const config = await configuration();
  if (command.op === 'start') {
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const parameters = {
      redirect_uri: command.redirect_uri,
      scope: command.scope || 'openid email offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
      ...(command.extra || {}),
    };
    const url = client.buildAuthorizationUrl(config, parameters);
    return { url: url.href, verifier, nonce, state, metadata: config.serverMetadata() };
  }
  if (command.op === 'finish') {
    const tokens = await client.authorizationCodeGrant(config, new URL(command.callback), {
      pkceCodeVerifier: command.verifier,
      expectedNonce: command.nonce,
      expectedState: command.state,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    return { claims, userinfo, id_token: tokens.id_token, access_token: tokens.access_token,
             refresh_token: tokens.refresh_token };
  }
  if (command.op === 'refresh') {
    const tokens = await client.refreshTokenGrant(config, command.refresh_token);
    return { access_token: tokens.access_token, refresh_token: tokens.refresh_token };
  }
  if (command.op === 'verify') {
    const keys = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
    const { payload, protectedHeader } = await jose.jwtVerify(command.id_token, keys, {
      issuer: config.serverMetadata().issuer, audience: command.client_id,
    });
    return { claims: payload, kid: protectedHeader.kid };
  }
  throw new Error(`unknown op ${command.op}`);
}

try {
  console.log(JSON.stringify(await run()));
} catch (error) {
  // An OAuth error answer carries `error`; a 401 carries it in its WWW-Authenticate challenge.
  const challenged = Array.isArray(error.cause) ? error.cause[0]?.parameters?.error : undefined;
  const code = error.error || challenged || error.code || error.name;
  console.log(JSON.stringify({ error: code, status: error.status, message: String(error.message) }));
}
