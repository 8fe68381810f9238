#!/usr/bin/env bash
# Make a throwaway PKI in DIR for trying TLS by hand (nginx, curl, onslaught --cacert/--cert/--key).
# The test suite makes its own certificates in-process (rcgen) and only cross-checks this script.
#   ca.pem ca.key               CA for servers (pass ca.pem as --cacert)
#   server.pem server.key       for localhost and 127.0.0.1, signed by ca
#   expired.pem expired.key     same names, valid only in 2000
#   client-ca.pem client-ca.key CA for clients (the server's list of trusted client issuers)
#   client.pem client.key       client certificate signed by client-ca (--cert / --key)
# Usage: scripts/tls-certs.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/tls-certs.sh DIR}
command -v openssl >/dev/null || { apt-get update -q && apt-get install -y -q openssl; } >/dev/null
mkdir -p "$dir"
cd "$dir"
mkdir -p .ca
: >.ca/index
echo 1000 >.ca/serial

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }

# ca NAME FILE: a self-signed CA valid for ten years.
ca() {
  key "$2"
  openssl req -x509 -new -key "$2.key" -subj "/CN=$1" -days 3650 -sha256 -out "$2.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

# leaf FILE CA SAN EKU [STARTDATE ENDDATE]: a certificate signed by CA (openssl ca, for exact dates).
leaf() {
  local file=$1 issuer=$2 san=$3 eku=$4 start=${5:-} end=${6:-}
  key "$file"
  openssl req -new -key "$file.key" -subj "/CN=$file" -out "$file.csr"
  cat >.ca/cnf <<CNF
[ca]
default_ca = d
[d]
database = .ca/index
serial = .ca/serial
new_certs_dir = .ca
default_md = sha256
default_days = 825
policy = any
copy_extensions = none
x509_extensions = ext
unique_subject = no
[any]
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = $eku
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
${san:+subjectAltName = $san}
CNF
  local dates=()
  [ -n "$start" ] && dates=(-startdate "$start" -enddate "$end")
  openssl ca -batch -notext -config .ca/cnf -cert "$issuer.pem" -keyfile "$issuer.key" \
    "${dates[@]}" -in "$file.csr" -out "$file.pem" 2>/dev/null
  rm -f "$file.csr"
}

ca "onslaught test CA" ca
ca "onslaught client CA" client-ca
leaf server ca "DNS:localhost,IP:127.0.0.1" serverAuth
leaf expired ca "DNS:localhost,IP:127.0.0.1" serverAuth 20000101000000Z 20010101000000Z
leaf client client-ca "" clientAuth
rm -rf .ca
echo "certificates in $dir: ca.pem server.pem expired.pem client-ca.pem client.pem (+ .key each)"
