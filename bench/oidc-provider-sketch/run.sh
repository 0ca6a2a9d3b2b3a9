#!/bin/bash
# The decision between oidc-provider and our own provider on jose (README, "Why the provider is built on jose"):
# both bundled as our functions are (esbuild, minified, CommonJS, node22), then, in one run, eleven times each:
# `node -e 0`; oidc-provider loaded, constructed and answering one discovery request; our authorize function
# loaded, its deps built, answering one authorization request that is refused before any storage call.
# Installs oidc-provider into this folder only (it is no dependency of the service).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
(cd "$here" && npm install --no-audit --no-fund --silent >/dev/null)
esbuild="$root/node_modules/.bin/esbuild"
common=(--bundle --minify --platform=node --target=node22 --format=cjs --main-fields=module,main --log-level=error)
(cd "$here" && NODE_PATH="$here/node_modules" "$esbuild" entry.mjs "${common[@]}" --outfile="$out/oidc.js")
(cd "$root" && "$esbuild" functions/authorize.ts "${common[@]}" --external:@node-rs/argon2 --outfile="$out/authorize.js")
echo "bundle bytes: oidc-provider $(wc -c < "$out/oidc.js") (no storage adapter, no password hashing, no mail), authorize $(wc -c < "$out/authorize.js")"

key="$(node -e "const {generateKeyPairSync}=require('crypto');const k=generateKeyPairSync('ec',{namedCurve:'P-256'}).privateKey.export({format:'jwk'});console.log(JSON.stringify({keys:[{...k,kid:'k1',alg:'ES256',use:'sig'}]}))")"
export JWKS="$key"
export PUBLIC_JWKS="$(node -e "const k=JSON.parse(process.env.JWKS);console.log(JSON.stringify({keys:k.keys.map(({d,...p})=>p)}))")"
export ISSUER=https://auth.example.com USERS_TABLE=u USERNAMES_TABLE=n EMAILS_TABLE=e SESSIONS_TABLE=s ATTEMPTS_TABLE=a CLIENTS_TABLE=c CODES_TABLE=k BROWSER_SESSIONS_TABLE=b
export PASSWORD_RESET_URL=https://app.example.com/r EMAIL_VERIFICATION_URL=https://app.example.com/v OUTBOX_DIR="$out/outbox" AWS_REGION=us-east-1
export OAUTH_CLIENTS='[{"client_id":"app","redirect_uris":["https://app.example.com/cb"]}]' POWERTOOLS_LOG_LEVEL=ERROR AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
export NODE_PATH="$root/node_modules"
ms() { local start; start=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; echo $(( ($(date +%s%N) - start) / 1000000 )); }
cd "$out"
for _ in $(seq 1 11); do
  echo "$(ms node -e 0) $(ms node -e "require('./oidc.js').handler().then(r=>{if(r.statusCode!==200)process.exit(1)})") $(ms node -e "require('./authorize.js').handler({httpMethod:'GET',path:'/oauth/authorize',queryStringParameters:{client_id:'app',redirect_uri:'https://evil.example/cb'},headers:{}}).then(r=>{if(r.statusCode!==400)process.exit(1)})")"
done | node -e "
const rows=require('fs').readFileSync(0,'utf8').trim().split('\n').map((l)=>l.split(' ').map(Number));
const median=(i)=>rows.map((r)=>r[i]).sort((a,b)=>a-b)[rows.length>>1];
const [floor,oidc,ours]=[0,1,2].map(median);
console.log('median of '+rows.length+' (ms): node -e 0 '+floor+'; oidc-provider '+oidc+' ('+(oidc/floor).toFixed(2)+'x); our authorize '+ours+' ('+(ours/floor).toFixed(2)+'x)');"
