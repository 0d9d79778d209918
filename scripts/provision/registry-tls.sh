# shellcheck shell=bash
# A registry that needs a login over TLS, like ghcr.io, for scripts/provision.sh (sourced by it;
# uses its helpers and variables).
#
#   registry.smokestack.test:5443   docker-registry (distribution 2.8) on 127.0.0.1:5443, with
#                                   http.tls and auth.htpasswd
#
# Why a name and not 127.0.0.1: buildx's own registry client (`buildx imagetools`, which joins the
# platforms into a manifest list) speaks plain HTTP to every loopback address, so a TLS registry
# must be reached under a name, as ghcr.io is. /etc/hosts maps the name to 127.0.0.1.
#
# openssl makes a private CA and a server certificate for the name and 127.0.0.1
# (subjectAltName), the password file is bcrypt (`htpasswd -B`, apache2-utils). The engine trusts
# the CA through /etc/docker/certs.d/registry.smokestack.test:5443/ca.crt, which it reads per
# connection: the engine is not restarted. buildx's client trusts only the system's CAs (or the
# file SSL_CERT_FILE names): the CA is not added to the machine's trust store; tests point
# SSL_CERT_FILE at a bundle of the system's CAs plus this one (SMOKESTACK_TLS_REGISTRY_CA_BUNDLE).
# The login is written to the env file (SMOKESTACK_TLS_REGISTRY*) and to registry-tls/env next to
# the registry's files, so tests can `docker login` with a DOCKER_CONFIG of their own. Nothing is redone when everything is in place: the CA,
# certificate and password survive runs; the registry is restarted only when it does not answer
# as expected or its configuration changed.

TLS_REGISTRY_NAME=registry.smokestack.test
TLS_REGISTRY=$TLS_REGISTRY_NAME:5443
TLS_REGISTRY_ADDR=127.0.0.1:5443
TLS_REGISTRY_DIR=$SS_LIB/registry-tls
TLS_REGISTRY_ROOT=$TLS_REGISTRY_DIR/storage
TLS_REGISTRY_CONFIG=$TLS_REGISTRY_DIR/config.yml
TLS_REGISTRY_PIDFILE=$SS_RUN/registry-tls.pid
TLS_REGISTRY_USER=smokestack
TLS_CERTS_D=/etc/docker/certs.d/$TLS_REGISTRY

# The name resolves to 127.0.0.1 through /etc/hosts (one line, added once).
ensure_tls_registry_name() {
	if ! grep -Eq "^127\.0\.0\.1[[:space:]]+$TLS_REGISTRY_NAME([[:space:]]|\$)" /etc/hosts; then
		log "mapping $TLS_REGISTRY_NAME to 127.0.0.1 in /etc/hosts"
		printf '127.0.0.1\t%s\n' "$TLS_REGISTRY_NAME" >>/etc/hosts
	fi
}

# The CA and a server certificate signed by it, for the name and 127.0.0.1 (kept while valid).
ensure_tls_certificates() {
	local d=$TLS_REGISTRY_DIR
	mkdir -p "$d"
	if [[ -s $d/ca.crt && -s $d/server.crt && -s $d/server.key ]] &&
		openssl x509 -checkend 86400 -noout -in "$d/server.crt" >/dev/null &&
		openssl x509 -noout -ext subjectAltName -in "$d/server.crt" 2>/dev/null | grep -q "DNS:$TLS_REGISTRY_NAME" &&
		openssl verify -CAfile "$d/ca.crt" "$d/server.crt" >/dev/null 2>&1; then
		return
	fi
	log "making a CA and a server certificate for $TLS_REGISTRY"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=smokestack test CA" \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$TLS_REGISTRY_NAME" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$TLS_REGISTRY_NAME" >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 825 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
	rm -f "$d/server.csr" "$d/server.ext"
	chmod 0600 "$d/ca.key" "$d/server.key"
}

# The password (made once, kept) and its bcrypt entry.
ensure_tls_login() {
	local d=$TLS_REGISTRY_DIR
	if [[ ! -s $d/password ]]; then
		(umask 077 && openssl rand -hex 16 >"$d/password")
	fi
	if [[ ! -s $d/htpasswd ]] || ! htpasswd -vb "$d/htpasswd" "$TLS_REGISTRY_USER" "$(<"$d/password")" >/dev/null 2>&1; then
		log "writing the bcrypt password file for $TLS_REGISTRY"
		htpasswd -Bbc "$d/htpasswd" "$TLS_REGISTRY_USER" "$(<"$d/password")" 2>/dev/null
	fi
}

# The engine's trust (certs.d), and a CA bundle for clients that read SSL_CERT_FILE.
ensure_tls_trust() {
	local bundle=$TLS_REGISTRY_DIR/ca-bundle.crt
	if ! cmp -s "$TLS_REGISTRY_DIR/ca.crt" "$TLS_CERTS_D/ca.crt"; then
		log "trusting the test CA for $TLS_REGISTRY in $TLS_CERTS_D"
		install -D -m 0644 "$TLS_REGISTRY_DIR/ca.crt" "$TLS_CERTS_D/ca.crt"
	fi
	cat /etc/ssl/certs/ca-certificates.crt "$TLS_REGISTRY_DIR/ca.crt" >"$bundle.new"
	if cmp -s "$bundle.new" "$bundle"; then rm -f "$bundle.new"; else mv "$bundle.new" "$bundle"; fi
}

# Up means: TLS with our CA, and a 401 without credentials, a 200 with them.
tls_registry_up() {
	local base=https://$TLS_REGISTRY/v2/ ca=$TLS_REGISTRY_DIR/ca.crt code
	# (curl resolves the name itself, so this also checks /etc/hosts)
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "$base") || return 1
	[[ $code == 401 ]] || return 1
	curl -fsS -o /dev/null --cacert "$ca" -u "$TLS_REGISTRY_USER:$(<"$TLS_REGISTRY_DIR/password")" "$base"
}

write_tls_registry_config() {
	cat <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $TLS_REGISTRY_ROOT
  delete:
    enabled: true
http:
  addr: $TLS_REGISTRY_ADDR
  tls:
    certificate: $TLS_REGISTRY_DIR/server.crt
    key: $TLS_REGISTRY_DIR/server.key
auth:
  htpasswd:
    realm: smokestack
    path: $TLS_REGISTRY_DIR/htpasswd
EOF
}

ensure_tls_registry() {
	local pid
	ensure_tls_registry_name
	ensure_tls_certificates
	ensure_tls_login
	ensure_tls_trust
	write_tls_registry_config >"$TLS_REGISTRY_CONFIG.new"
	(umask 077 && tls_registry_env >"$TLS_REGISTRY_DIR/env")
	if cmp -s "$TLS_REGISTRY_CONFIG.new" "$TLS_REGISTRY_CONFIG" && tls_registry_up 2>/dev/null; then
		rm -f "$TLS_REGISTRY_CONFIG.new"
		log "TLS registry: up on $TLS_REGISTRY (login $TLS_REGISTRY_USER)"
		return
	fi
	if pid=$(pid_from_file "$TLS_REGISTRY_PIDFILE" docker-registry); then
		stop_pid "$pid" "TLS registry" 30
	fi
	mkdir -p "$TLS_REGISTRY_ROOT"
	mv "$TLS_REGISTRY_CONFIG.new" "$TLS_REGISTRY_CONFIG"
	log "starting docker-registry with TLS and a login on $TLS_REGISTRY ($TLS_REGISTRY_ADDR)"
	start_daemon "$SS_LOG/registry-tls.log" "$TLS_REGISTRY_PIDFILE" \
		/usr/bin/docker-registry serve "$TLS_REGISTRY_CONFIG"
	wait_until 30 tls_registry_up ||
		fail_with_log "$SS_LOG/registry-tls.log" "the TLS registry did not come up on $TLS_REGISTRY"
}

# Lines for the env files.
tls_registry_env() {
	cat <<EOF
SMOKESTACK_TLS_REGISTRY=$TLS_REGISTRY
SMOKESTACK_TLS_REGISTRY_USER=$TLS_REGISTRY_USER
SMOKESTACK_TLS_REGISTRY_PASSWORD=$(<"$TLS_REGISTRY_DIR/password")
SMOKESTACK_TLS_REGISTRY_CA=$TLS_REGISTRY_DIR/ca.crt
SMOKESTACK_TLS_REGISTRY_CA_BUNDLE=$TLS_REGISTRY_DIR/ca-bundle.crt
EOF
}
