// The demo page: one auth client at a time, made from the settings form, and the page's view of it.
import { AuthError, createAuthClient, decodeUnverifiedClaims, localStorageAdapter } from './client.js';

const $ = (id) => document.getElementById(id);
const settings = $('settings');
const account = $('account');
const status = $('status');

const CAUSES = { proactive: 'Proactive refresh', reactive: 'Reactive refresh (after a 401)', other_tab: 'Token from another tab' };
const ENDINGS = {
  rejected: 'the server ended the session',
  logout: 'logged out',
  other_tab: 'logged out in another tab',
  deleted: 'the account was deleted',
};

let client = null;
/** The API the client talks to, for the routes it has no method for. */
let apiBase = '';
/** Why the next end of the session happens, when the page knows better than the client (a deleted account). */
let ending = null;
let generation = 0;
let expiresAt = null;
let pollTimer = null;

const clock = (ms) => new Date(ms).toLocaleTimeString();

function hostOf(url) {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

function say(text, isError = false) {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

function describe(error) {
  if (error instanceof AuthError) return `${error.code}: ${error.message}${error.retryAfter ? ` (retry in ${error.retryAfter} s)` : ''}`;
  return `Network error (${error.message}): is the API running at this URL, and does it allow this page's origin (CORS_ORIGINS)?`;
}

/** What the API's error body ({code, error, error_description}) says, or its status when it has none. */
async function problemOf(response) {
  const body = await response.json().catch(() => null);
  const error = typeof body?.error === 'string' ? body.error : `HTTP ${response.status}`;
  const description = typeof body?.error_description === 'string' ? body.error_description : `The API answered ${response.status}.`;
  return { error, description, text: `${error}: ${description}` };
}

/** A JSON POST to a route of the API the client has no method for (no token: these routes need none). */
function post(route, body) {
  return fetch(apiBase + route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function log(text) {
  const item = document.createElement('li');
  const time = document.createElement('time');
  time.dateTime = new Date().toISOString();
  time.textContent = clock(Date.now());
  item.append(time, ` ${text}`);
  $('log').prepend(item);
}

async function showToken(until) {
  expiresAt = until;
  const claims = decodeUnverifiedClaims(await client.accessToken());
  const pretty = { ...claims };
  for (const name of ['iat', 'exp', 'nbf']) if (typeof claims?.[name] === 'number') pretty[name] = `${claims[name]} (${new Date(claims[name] * 1000).toISOString()})`;
  $('claims').textContent = JSON.stringify(pretty, null, 2);
  $('claims').hidden = false;
  $('who').textContent = `Signed in: subject ${claims?.sub ?? '?'}, scope "${claims?.scope ?? ''}". The claims below are decoded, not verified.`;
  tick();
}

function showSignedOut(text) {
  expiresAt = null;
  $('who').textContent = text;
  $('claims').hidden = true;
  $('countdown').textContent = '';
  $('sessions').hidden = true;
}

function tick() {
  if (expiresAt === null) return;
  const seconds = Math.round((expiresAt - Date.now()) / 1000);
  $('countdown').textContent =
    seconds > 0
      ? `Expires in ${seconds} s (at ${clock(expiresAt)} on this device's clock, corrected for its offset from the server's).`
      : `Expired ${-seconds} s ago: the next call refreshes it.`;
}

const SETTINGS_KEY = 'jwt-auth-demo:settings';

/** The settings of the last visit, so a reload in cookie mode stays in cookie mode. */
function restoreSettings() {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}');
  } catch {
    // Start from the defaults.
  }
  // A URL typed on the page wins until the demo server is started with another API_URL.
  const served = document.querySelector('meta[name="api-url"]').content;
  $('api-url').value = saved.served === served && saved.baseUrl ? saved.baseUrl : served;
  if (saved.mode === 'cookie' || saved.mode === 'header') settings.elements.mode.value = saved.mode;
  if (Number.isFinite(saved.refreshSkew)) $('skew').value = String(saved.refreshSkew);
}

/** A new client from the settings; a previous one's callbacks are ignored from now on. */
function connect() {
  const mode = settings.elements.mode.value;
  const baseUrl = $('api-url').value.trim();
  const refreshSkew = Number($('skew').value) || 0;
  const served = document.querySelector('meta[name="api-url"]').content;
  localStorage.setItem(SETTINGS_KEY, JSON.stringify({ served, baseUrl, mode, refreshSkew }));
  apiBase = baseUrl.replace(/\/+$/, '');
  const mine = ++generation;
  const current = () => mine === generation;
  client = createAuthClient({
    baseUrl,
    mode,
    refreshSkew,
    // Separate keys per mode and API: a header-mode refresh token never meets a cookie-mode client.
    storageKey: `jwt-auth-demo:${mode}:${baseUrl}`,
    storage: localStorageAdapter(),
    onRefresh: ({ cause, expiresAt: until }) => {
      if (!current()) return;
      log(`${CAUSES[cause]}: new access token until ${clock(until)}.`);
      void showToken(until);
    },
    onSessionEnd: (reason) => {
      if (!current()) return;
      const why = ENDINGS[ending ?? reason];
      ending = null;
      log(`Session over: ${why}.`);
      showSignedOut(`Not signed in (${why}).`);
    },
  });

  const note = $('cookie-note');
  const apiHost = hostOf(baseUrl);
  note.hidden = !(mode === 'cookie' && apiHost !== location.hostname);
  note.textContent = `Cookie mode needs this page and the API on the same site, or the browser may block the API's
    cookie as a third-party cookie. This page is on ${location.hostname} and the API on ${apiHost}: open this page as
    http://${apiHost}:${location.port}/ instead.`;

  say(`Using ${baseUrl} in ${mode} mode.`);
  showSignedOut('Not signed in.');
  // A session kept from an earlier visit comes back with one refresh.
  client.accessToken().catch((error) => {
    if (!current()) return;
    if (error instanceof AuthError && error.code === 'no_session') return;
    say(describe(error), true);
  });
}

settings.addEventListener('submit', (event) => {
  event.preventDefault();
  connect();
});
settings.addEventListener('change', (event) => {
  if (event.target.name === 'mode') connect();
});

account.addEventListener('submit', async (event) => {
  event.preventDefault();
  const action = event.submitter?.value === 'register' ? 'register' : 'login';
  const { username, password, email } = account.elements;
  const input = { username: username.value, password: password.value };
  if (action === 'register' && email.value) input.email = email.value;
  try {
    const info = await client[action](input);
    password.value = '';
    say(`${action === 'register' ? 'Registered and signed in' : 'Signed in'} as ${username.value}.`);
    log(`${action === 'register' ? 'Registered' : 'Logged in'}: access token until ${clock(info.expiresAt)}.`);
    await showToken(info.expiresAt);
  } catch (error) {
    say(describe(error), true);
  }
});

$('forgot').addEventListener('click', async () => {
  const { username } = account.elements;
  if (!username.value.trim()) {
    say('Type the username of the account first, then press Forgot password.', true);
    username.focus();
    return;
  }
  try {
    const response = await post('/auth/password/forgot', { username: username.value });
    // 202 says the same whether or not the account exists: the page can only pass the message on.
    if (response.status === 202) say((await response.json()).message);
    else say((await problemOf(response)).text, true);
  } catch (error) {
    say(describe(error), true);
  }
});

const deleteForm = $('delete-form');
function showDeleteForm(open) {
  deleteForm.hidden = !open;
  $('delete-account').setAttribute('aria-expanded', String(open));
  if (open) $('delete-password').focus();
  else $('delete-password').value = '';
}
$('delete-account').addEventListener('click', () => showDeleteForm(deleteForm.hidden));
$('delete-cancel').addEventListener('click', () => {
  showDeleteForm(false);
  $('delete-account').focus();
});
deleteForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const password = $('delete-password');
  try {
    const response = await client.fetch('/me', {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: password.value }),
    });
    if (response.status !== 204) {
      say((await problemOf(response)).text, true);
      password.select();
      return;
    }
    showDeleteForm(false);
    // The server ended every session of the account; logout forgets this one here, and its cookies in cookie
    // mode (the server's invalid_grant for a session already gone is what logout expects).
    ending = 'deleted';
    await client.logout().catch(() => undefined);
    ending = null;
    say('Account deleted: its sessions are over and its username is free again.');
    $('delete-account').focus();
  } catch (error) {
    say(describe(error), true);
  }
});

async function callMe() {
  try {
    $('me-result').textContent = JSON.stringify(await client.me(), null, 2);
  } catch (error) {
    $('me-result').textContent = describe(error);
  }
}
$('me').addEventListener('click', callMe);

$('poll').addEventListener('change', (event) => {
  clearInterval(pollTimer);
  pollTimer = event.target.checked ? setInterval(callMe, 5000) : null;
});

async function loadSessions() {
  const table = $('sessions');
  const body = table.tBodies[0];
  try {
    const sessions = await client.sessions();
    body.replaceChildren(
      ...sessions.map((session) => {
        const row = document.createElement('tr');
        const label = `${session.id.slice(0, 8)}…${session.current ? ' (this one)' : ''}`;
        for (const text of [label, session.createdAt, session.lastUsedAt, session.expiresAt]) row.insertCell().textContent = text;
        const end = document.createElement('button');
        end.type = 'button';
        end.className = 'secondary';
        end.textContent = 'End';
        end.setAttribute('aria-label', `End session ${label}`);
        end.addEventListener('click', async () => {
          try {
            await client.endSession(session.id);
            say(session.current ? 'This session was ended: the next refresh will sign you out.' : 'Session ended.');
            await loadSessions();
            $('load-sessions').focus();
          } catch (error) {
            say(describe(error), true);
          }
        });
        row.insertCell().append(end);
        return row;
      }),
    );
    table.hidden = false;
    say(`${sessions.length} live session${sessions.length === 1 ? '' : 's'}.`);
  } catch (error) {
    say(describe(error), true);
  }
}
$('load-sessions').addEventListener('click', loadSessions);

$('logout').addEventListener('click', async () => {
  try {
    await client.logout();
    say('Logged out.');
  } catch (error) {
    say(`Logged out here, but the server could not be told: ${describe(error)}`, true);
  }
});

$('logout-all').addEventListener('click', async () => {
  try {
    await client.logoutAll();
    say('Logged out everywhere.');
  } catch (error) {
    say(describe(error), true);
  }
});

$('clear-log').addEventListener('click', () => $('log').replaceChildren());

function linkSays(text, isError = false) {
  $('link-status').textContent = text;
  $('link-status').classList.toggle('error', isError);
}

async function verifyEmail(token) {
  linkSays('Verifying your email address…');
  try {
    const response = await post('/auth/email/verify', { token });
    if (response.status === 204) linkSays('Email address verified: a forgotten password can now be reset through it.');
    else linkSays(`This link did not verify your address: ${(await problemOf(response)).description}`, true);
  } catch (error) {
    linkSays(describe(error), true);
  }
}

function askNewPassword(token) {
  const form = $('reset');
  const field = $('new-password');
  const submit = form.querySelector('button[type="submit"]');
  form.hidden = false;
  linkSays('Choose a new password for your account.');
  field.focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    // One request at a time: a second one would spend nothing but get invalid_grant for the used token.
    submit.disabled = true;
    try {
      const response = await post('/auth/password/reset', { token, new_password: field.value });
      if (response.status === 204) {
        field.value = '';
        form.hidden = true;
        linkSays('Password changed, and every session of the account ended: log in with your new password.');
        $('username').focus();
        return;
      }
      const problem = await problemOf(response);
      // A weak password can be chosen again with the same link; a bad, used or expired link cannot.
      if (problem.error === 'invalid_request') {
        linkSays(`Not this password: ${problem.description}`, true);
        field.select();
      } else {
        form.hidden = true;
        linkSays(`This link did not reset your password: ${problem.description} Ask for a new one with Forgot password.`, true);
      }
    } catch (error) {
      linkSays(describe(error), true);
    } finally {
      submit.disabled = false;
    }
  });
}

/** The page as the target of a message's link: /verify-email?token=… or /reset-password?token=…. */
function followLink() {
  const headings = { '/verify-email': 'Verify your email address', '/reset-password': 'Choose a new password' };
  const heading = Object.prototype.hasOwnProperty.call(headings, location.pathname) ? headings[location.pathname] : null;
  if (heading === null) return;
  const token = new URLSearchParams(location.search).get('token');
  // Out of the address bar, and so out of the history, bookmarks and screenshots, as soon as it is read.
  history.replaceState(null, '', location.pathname);
  $('link-heading').textContent = heading;
  $('link').hidden = false;
  if (!token) {
    linkSays('This link has no token: open the link from the message again, whole.', true);
    $('link-heading').focus();
  } else if (location.pathname === '/verify-email') {
    $('link-heading').focus();
    void verifyEmail(token);
  } else {
    askNewPassword(token);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Sign in with the hosted page: OpenID Connect's authorization code flow with PKCE (RFC 7636, S256), written
// out step by step. The client of client/ speaks the service's own API, not OAuth, and cannot take tokens
// from elsewhere: what this section gets stays in its own memory.
// ---------------------------------------------------------------------------------------------------------

/** The demo's registration (OAUTH_CLIENTS): this page's origin + '/' as redirect and post-logout URI. */
const OIDC_CLIENT_ID = 'demo';
const REDIRECT_URI = `${location.origin}/`;
/** The sign-in or sign-out under way, in sessionStorage: this tab's alone, and gone with it. */
const PENDING_SIGN_IN = 'jwt-auth-demo:oidc:sign-in';
const PENDING_SIGN_OUT = 'jwt-auth-demo:oidc:sign-out';

/** The hosted sign-in: its ID token (the end session's hint) and who it is. A reload forgets it. */
let hosted = null;

/** A check of this flow that failed: its message is for the user as it is. */
class Refused extends Error {}

function hostedSays(text, isError = false) {
  $('oidc-status').textContent = text;
  $('oidc-status').classList.toggle('error', isError);
}

const chosenLocale = () => document.querySelector('input[name="ui-locale"]:checked').value;
function chooseLocale(locale) {
  const radio = document.querySelector(`input[name="ui-locale"][value="${locale === 'ko' ? 'ko' : 'en'}"]`);
  radio.checked = true;
}

const base64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
/** 32 random bytes as 43 base64url characters: the verifier RFC 7636 §4.1 recommends, and as good a state or nonce. */
const randomValue = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
async function challengeOf(verifier) {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** The provider's metadata (OpenID Connect Discovery 1.0): where its endpoints are, and its issuer. */
async function discover(api) {
  const response = await fetch(`${api}/.well-known/openid-configuration`);
  if (!response.ok) throw new Refused(`The discovery document answered HTTP ${response.status}: is ${api} this service?`);
  return response.json();
}

/** Reads a sessionStorage item once: it is removed as it is read, whatever comes next. */
function takePending(key) {
  const value = sessionStorage.getItem(key);
  sessionStorage.removeItem(key);
  return value;
}

function showHosted() {
  $('oidc-sign-out').hidden = hosted === null;
  $('oidc-userinfo').hidden = hosted === null;
  if (hosted) $('oidc-userinfo').textContent = JSON.stringify(hosted.userinfo, null, 2);
}

async function startHostedSignIn() {
  // WebCrypto's digest exists only in a secure context: https, or http://localhost and http://127.0.0.1.
  if (!globalThis.crypto?.subtle) {
    hostedSays('This page is not a secure context, so it cannot make a PKCE challenge: open it as http://localhost:…/ or over https.', true);
    return;
  }
  try {
    const metadata = await discover(apiBase);
    const request = { verifier: randomValue(), state: randomValue(), nonce: randomValue(), api: apiBase, locale: chosenLocale() };
    sessionStorage.setItem(PENDING_SIGN_IN, JSON.stringify(request));
    const url = new URL(metadata.authorization_endpoint);
    const params = {
      response_type: 'code',
      client_id: OIDC_CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile',
      state: request.state,
      nonce: request.nonce,
      code_challenge: await challengeOf(request.verifier),
      code_challenge_method: 'S256',
      ui_locales: request.locale,
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    location.assign(url.href);
  } catch (error) {
    hostedSays(error instanceof Refused ? error.message : describe(error), true);
  }
}

/** The authorization response (?code=…&state=…&iss=…, or ?error=…): checked, then the code exchanged. */
async function finishHostedSignIn(query, pending) {
  if (pending === null || query.get('state') !== pending.state) {
    // Someone else's response, or a stale one: its code is never sent anywhere (RFC 6749 §10.12).
    throw new Refused('This sign-in answer is not for a sign-in this tab started (its state differs): ignored.');
  }
  chooseLocale(pending.locale);
  if (query.has('error')) {
    const description = query.get('error_description');
    throw new Refused(`The sign-in did not happen: ${query.get('error')}${description ? ` (${description})` : ''}.`);
  }
  const metadata = await discover(pending.api);
  // RFC 9207: the answer names who issued the code, so that one from another provider (a mix-up) goes nowhere.
  if (query.get('iss') !== metadata.issuer) throw new Refused(`This sign-in answer comes from ${query.get('iss') ?? 'an unnamed issuer'}, not ${metadata.issuer}: ignored.`);
  hostedSays('Exchanging the code for tokens…');
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: query.get('code') ?? '',
      redirect_uri: REDIRECT_URI,
      client_id: OIDC_CLIENT_ID,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Refused(`The token endpoint refused the code: ${(await problemOf(response)).text}`);
  const tokens = await response.json();
  // Decoded, not verified: this ID token came straight from the token endpoint (over TLS in production), which
  // OpenID Connect Core §3.1.3.7 accepts instead of its signature in this flow. Verifying signatures is the job
  // of the APIs that receive tokens (this service's authorizer) and of a real app's certified library.
  const claims = decodeUnverifiedClaims(typeof tokens.id_token === 'string' ? tokens.id_token : '');
  const audiences = Array.isArray(claims?.aud) ? claims.aud : [claims?.aud];
  if (claims?.iss !== metadata.issuer || !audiences.includes(OIDC_CLIENT_ID)) throw new Refused('The ID token is not for this page (its issuer or audience differs): ignored.');
  // The nonce ties the ID token to the request this tab made: a token replayed from elsewhere has another.
  if (claims.nonce !== pending.nonce) throw new Refused('The ID token is not from this sign-in (its nonce differs): ignored.');
  const info = await fetch(metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  if (!info.ok) throw new Refused(`The userinfo endpoint refused the access token: ${(await problemOf(info)).text}`);
  const userinfo = await info.json();
  // OpenID Connect Core §5.3.4: claims about anyone but the ID token's subject are not to be used.
  if (userinfo.sub !== claims.sub) throw new Refused('The userinfo endpoint spoke of another user than the ID token: ignored.');
  // Only what this section uses is kept, in memory: the access and refresh tokens are dropped here.
  hosted = { idToken: tokens.id_token, endSessionEndpoint: metadata.end_session_endpoint, userinfo };
  showHosted();
  hostedSays(`Signed in as ${userinfo.preferred_username ?? userinfo.sub} through the hosted page.`);
}

/** RP-initiated logout: the hosted page's sign-in ends, with every session it started for any app. */
function signOutEverywhere() {
  if (hosted === null) return;
  const state = randomValue();
  sessionStorage.setItem(PENDING_SIGN_OUT, state);
  const url = new URL(hosted.endSessionEndpoint);
  const params = { id_token_hint: hosted.idToken, post_logout_redirect_uri: REDIRECT_URI, state, ui_locales: chosenLocale() };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  location.assign(url.href);
}

/** The page as the demo's redirect URI: after the hosted page's sign-in, or after the end session. */
async function followHostedRedirect() {
  if (location.pathname !== '/') return;
  const query = new URLSearchParams(location.search);
  if (!query.has('state')) return;
  // The code goes out of the address bar, and so out of the history and bookmarks, before anything else.
  history.replaceState(null, '', location.pathname);
  const signIn = takePending(PENDING_SIGN_IN);
  const signOut = takePending(PENDING_SIGN_OUT);
  $('oidc-heading').scrollIntoView({ block: 'start' });
  try {
    if (query.has('code') || query.has('error')) {
      await finishHostedSignIn(query, signIn === null ? null : JSON.parse(signIn));
    } else if (signOut !== null && query.get('state') === signOut) {
      hostedSays('Signed out everywhere: the hosted page has forgotten this browser, and the sessions it started have ended.');
    } else {
      throw new Refused('This address carries a state this tab did not send: ignored.');
    }
  } catch (error) {
    hostedSays(error instanceof Refused ? error.message : describe(error), true);
  }
}

$('oidc-redirect-uri').textContent = REDIRECT_URI;
if (navigator.language?.toLowerCase().startsWith('ko')) chooseLocale('ko');
$('oidc-sign-in').addEventListener('click', startHostedSignIn);
$('oidc-sign-out').addEventListener('click', signOutEverywhere);

restoreSettings();
setInterval(tick, 1000);
connect();
followLink();
void followHostedRedirect();
