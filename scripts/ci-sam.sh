#!/usr/bin/env bash
# CI proof for the deployable template: `sam validate --lint`, the documented deploy command's
# --parameter-overrides through the SAM CLI's parser, a checkov security scan, `sam build`, then
# import every built bundle on Node 22 the way Lambda will (each bundle has datasets.json inlined:
# a bundle that could not resolve it would not build, one that left it out would not import). Exits non-zero if any
# step fails (any checkov finding not skipped in the template with a reason fails it).
#
#   bash scripts/ci-sam.sh
#
# Needs python3 (>= 3.9, for the venv) and the project's node_modules (installed with
# `npm ci` when missing). Talks to no AWS endpoint: nothing here needs credentials.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"

# Versions verified together (aws-sam-cli pulls aws-sam-translator 1.115.0 and
# aws-lambda-builders; cfn-lint 1.58.0 accepts that translator).
SAM_CLI_VERSION=1.170.0
CFN_LINT_VERSION=1.58.0
VENV="$ROOT/.venv"
# checkov pins boto3 and other packages differently from aws-sam-cli, so pip cannot put both in
# one environment: it gets its own, inside ./.venv.
CHECKOV_VERSION=3.3.30
CHECKOV_VENV="$VENV/checkov"

log() { printf '\n==> %s\n' "$*"; }

# --- Keep the SAM CLI offline ---------------------------------------------------------------
# Telemetry has a switch. The weekly "newer version" check (a PyPI request made by validate
# and build) has none: it is skipped while the lastVersionCheck stored in SAM's config
# directory is recent, so point that directory into the venv and date the check far ahead.
export SAM_CLI_TELEMETRY=0
export __SAM_CLI_APP_DIR="$VENV/sam-cli-config"
# No credentials or instance metadata lookups; a region only so boto3 can build clients.
export AWS_EC2_METADATA_DISABLED=true
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"

# --- Python tools in ./.venv (reused when the pinned versions are already there) ------------
venv_is_current() {
  [ -x "$VENV/bin/sam" ] && [ -x "$VENV/bin/cfn-lint" ] &&
    "$VENV/bin/sam" --version 2>/dev/null | grep -qx "SAM CLI, version $SAM_CLI_VERSION" &&
    "$VENV/bin/cfn-lint" --version 2>/dev/null | grep -qx "cfn-lint $CFN_LINT_VERSION"
}
if venv_is_current; then
  log "Reusing $VENV (aws-sam-cli $SAM_CLI_VERSION, cfn-lint $CFN_LINT_VERSION)"
else
  log "Installing aws-sam-cli $SAM_CLI_VERSION and cfn-lint $CFN_LINT_VERSION into $VENV"
  start=$SECONDS
  python3 -m venv "$VENV" &&
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
      "aws-sam-cli==$SAM_CLI_VERSION" "cfn-lint==$CFN_LINT_VERSION" || {
    echo "ci-sam: installing the SAM CLI failed" >&2
    exit 1
  }
  echo "installed in $((SECONDS - start)) s"
fi
if [ -x "$CHECKOV_VENV/bin/checkov" ] && "$CHECKOV_VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  log "Reusing $CHECKOV_VENV (checkov $CHECKOV_VERSION)"
else
  log "Installing checkov $CHECKOV_VERSION into $CHECKOV_VENV"
  start=$SECONDS
  python3 -m venv "$CHECKOV_VENV" &&
    "$CHECKOV_VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" || {
    echo "ci-sam: installing checkov failed" >&2
    exit 1
  }
  echo "installed in $((SECONDS - start)) s"
fi
mkdir -p "$__SAM_CLI_APP_DIR"
cat >"$__SAM_CLI_APP_DIR/metadata.json" <<'JSON'
{ "telemetryEnabled": false, "lastVersionCheck": 4102444800.0 }
JSON

# --- Node side: esbuild and Node 22 from node_modules ---------------------------------------
if [ ! -x node_modules/.bin/esbuild ] || [ ! -x node_modules/.bin/node ]; then
  log "node_modules incomplete: npm ci"
  npm ci --no-audit --no-fund || { echo "ci-sam: npm ci failed" >&2; exit 1; }
fi
# SAM's esbuild workflow looks for `esbuild` (and `npm`) on PATH; node_modules/.bin first also
# makes `node` the Node 22 that Lambda's nodejs22.x runs.
export PATH="$ROOT/node_modules/.bin:$VENV/bin:$PATH"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" != 22 ]; then
  echo "ci-sam: expected Node 22 from node_modules/.bin, found $(node --version)" >&2
  exit 1
fi
echo "sam $(sam --version | awk '{print $NF}'), cfn-lint $(cfn-lint --version | awk '{print $NF}'), esbuild $(esbuild --version), node $(node --version)"

failed=()

log "sam validate --lint"
start=$SECONDS
if sam validate --lint --template-file template.yaml; then
  echo "validate + lint passed in $((SECONDS - start)) s"
else
  failed+=("sam validate --lint")
fi

# The documented deploy command must survive the SAM CLI's --parameter-overrides parser (1.170
# splits values on spaces and quotes: a JSON value arrived as "[{"). Parsed here with the SAM
# CLI's own CfnParameterOverridesType, every Name=Value must arrive whole.
log "documented deploy command through the SAM CLI's --parameter-overrides parser"
if "$VENV/bin/python" scripts/check-deploy-command.py; then
  echo "deploy command: every override arrives whole"
else
  failed+=("deploy command --parameter-overrides")
fi

# checkov: every finding is fixed in the template or skipped there (resource Metadata
# checkov.skip) with the reason; anything else fails. --skip-download and the update-check
# switch keep it offline (no Prisma Cloud guidelines, no PyPI version check).
log "checkov $CHECKOV_VERSION (template.yaml)"
if CKV_SKIP_PACKAGE_UPDATE_CHECK=true "$CHECKOV_VENV/bin/checkov" --file template.yaml --framework cloudformation \
  --skip-download --compact --quiet; then
  echo "checkov: no findings"
else
  failed+=("checkov")
fi

log "sam build"
start=$SECONDS
if sam build --template-file template.yaml; then
  echo "build passed in $((SECONDS - start)) s"
  built=true
else
  failed+=("sam build")
  built=false
fi

# --- Smoke check: every built handler imports on Node 22 and exports `handler` ---------------
# Each bundle is imported in its own process with REDIS_HOST/PORT pointing at a listener on
# loopback that this check owns: a bundle that connects to Redis while being imported (instead
# of on its first invocation) is reported, as is one that throws or has no handler export.
if $built; then
  log "Importing each built handler on Node $(node --version)"
  mapfile -t handlers < <(
    node --input-type=module -e '
      import { readFileSync } from "node:fs";
      import { yamlParse } from "yaml-cfn";
      const t = yamlParse(readFileSync(".aws-sam/build/template.yaml", "utf8"));
      for (const [id, r] of Object.entries(t.Resources)) {
        if (r.Type !== "AWS::Serverless::Function") continue;
        const handler = r.Properties.Handler ?? t.Globals?.Function?.Handler;
        console.log(`${id} ${r.Properties.CodeUri} ${handler}`);
      }'
  )
  mapfile -t datasets < <(node -e 'for (const d of require("./datasets.json")) console.log(d.name)')
  if [ "${#handlers[@]}" -eq 0 ]; then
    failed+=("no functions found in .aws-sam/build/template.yaml")
  fi
  for line in "${handlers[@]}"; do
    read -r id codeuri handler <<<"$line"
    module="${handler%.*}"
    file="$(ls ".aws-sam/build/$codeuri/$module".{mjs,js,cjs} 2>/dev/null | head -n 1)"
    if [ -z "$file" ]; then
      echo "FAIL $id: no $module.mjs in .aws-sam/build/$codeuri"
      failed+=("$id bundle missing")
      continue
    fi
    if timeout 60 node --enable-source-maps --input-type=module -e '
      import net from "node:net";
      import { pathToFileURL } from "node:url";
      const [file, exportName] = process.argv.slice(1);
      let connections = 0;
      const server = net.createServer((socket) => { connections += 1; socket.destroy(); });
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      Object.assign(process.env, {
        REDIS_HOST: "127.0.0.1", REDIS_PORT: String(server.address().port), REDIS_TLS: "false",
        AWS_ACCESS_KEY_ID: "smoke", AWS_SECRET_ACCESS_KEY: "smoke",
      });
      const mod = await import(pathToFileURL(file).href);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const problems = [];
      if (typeof mod[exportName] !== "function") problems.push(`exports no function "${exportName}"`);
      if (connections > 0) problems.push("connects to Redis while being imported (connect on first use instead)");
      if (problems.length) { console.error(`${file}: ${problems.join("; ")}`); process.exit(1); }
      process.exit(0);
    ' "$ROOT/$file" "${handler##*.}"; then
      echo "ok   $id ($file)"
    else
      echo "FAIL $id ($file)"
      failed+=("$id import")
    fi
    # The dataset declarations travel in the bundle (functions/config.ts says why): every dataset
    # of datasets.json must be inlined, as esbuild writes an object literal ({name:"..."}).
    for name in "${datasets[@]}"; do
      if ! grep -q "name:\"$name\"" "$file"; then
        echo "FAIL $id: dataset $name of datasets.json is not in $file"
        failed+=("$id datasets.json")
      fi
    done
  done
fi

if [ "${#failed[@]}" -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "sam validate --lint, checkov, sam build and the bundle imports passed"
