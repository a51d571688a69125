"""tls-harness's driver for tlslite-ng: plays one side of a case and
reports each step as a JSON line on stdout.

  list                                  what tlslite-ng supports, from its own API
  server CERT KEY CONNS [options]       listens on 127.0.0.1:0, says the port
                                        (CERT and KEY "-": none, for SRP alone)
  client PORT CONNS [options]           connects CONNS times, resuming after the first

options: --min V --max V (tls1, tls1_1, tls1_2, tls1_3), --ciphers, --macs,
--kx, --groups (comma-separated tlslite names), --alpn a,b, --sni NAME,
--cert F --key F (client), --reqcert (server), --notickets (server),
--srp USER:PASSWORD (the client's login; the server's one user, whose
verifier it makes in RFC 5054's 2048-bit group).
"""
import json
import os
import socket
import sys

from tlslite.api import HandshakeSettings, SessionCache, TLSConnection, X509CertChain, parsePEMKey
from tlslite.constants import CipherSuite
from tlslite.errors import TLSLocalAlert, TLSRemoteAlert
from tlslite.verifierdb import VerifierDB

VERSIONS = {"tls1": (3, 1), "tls1_1": (3, 2), "tls1_2": (3, 3), "tls1_3": (3, 4)}
NAMES = {v: k for k, v in VERSIONS.items()}
PING = b"tls-harness ping\n"
PONG = b"tls-harness pong\n"


def emit(**kw):
    print(json.dumps(kw), flush=True)


def options(argv):
    out, i = {}, 0
    while i < len(argv):
        key = argv[i].lstrip("-")
        if key in ("reqcert", "notickets"):
            out[key] = True
            i += 1
        else:
            out[key] = argv[i + 1]
            i += 2
    return out


def settings(o):
    s = HandshakeSettings()
    if "min" in o:
        s.minVersion = VERSIONS[o["min"]]
    if "max" in o:
        s.maxVersion = VERSIONS[o["max"]]
    for key, attr in (("ciphers", "cipherNames"), ("macs", "macNames"), ("kx", "keyExchangeNames")):
        if key in o:
            setattr(s, attr, o[key].split(","))
    if "groups" in o:
        groups = o["groups"].split(",")
        s.eccCurves = [g for g in groups if not g.startswith("ffdhe")]
        s.dhGroups = [g for g in groups if g.startswith("ffdhe")]
        s.keyShares = groups[:1]
    if o.get("notickets"):
        s.ticket_count = 0
    else:
        # A tlslite-ng server issues tickets only with a ticket key.
        s.ticketKeys = [os.urandom(32)]
    return s


# Digest lengths of the hashes tlslite-ng signs RSA with.
HASH_BYTES = {"sha512": 64, "sha384": 48, "sha256": 32, "sha224": 28, "sha1": 20, "md5": 16}


def fit_hashes(s, pkey):
    """Keeps the RSA signature hashes an RSA-PSS signature with a salt as
    long as the hash fits in the key (RFC 8017 section 9.1.1: the encoded
    message needs twice the hash and 2 bytes). tlslite-ng picks SHA-512
    whatever the key, which a 1024-bit key cannot sign with, and fails
    the handshake before sending anything."""
    if pkey is None or pkey.key_type not in ("rsa", "rsa-pss"):
        return
    room = len(pkey) // 8
    s.rsaSigHashes = [h for h in s.rsaSigHashes if 2 * HASH_BYTES.get(h, 64) + 2 <= room]


def credential(cert, key):
    if cert == "-":
        return None, None
    chain = X509CertChain()
    with open(cert) as f:
        chain.parsePemList(f.read())
    with open(key) as f:
        return chain, parsePEMKey(f.read(), private=True)


def report(conn, role):
    emit(
        event="handshake",
        role=role,
        version=NAMES.get(tuple(conn.version)),
        suite=conn.session.cipherSuite,
        # tlslite-ng sets `resumed` for TLS 1.2 and older only; a TLS 1.3
        # PSK resumption leaves it False, so say nothing there.
        resumed=bool(conn.resumed) if tuple(conn.version) < (3, 4) else None,
        alpn=(conn.session.appProto or b"").decode() or None,
        sni=conn.session.serverName or None,
    )


def failed(e, role):
    alert = getattr(e, "description", None)
    sent = isinstance(e, TLSLocalAlert)
    emit(event="error", role=role, message=str(e) or type(e).__name__,
         alert_sent=alert if sent else None,
         alert_received=alert if isinstance(e, TLSRemoteAlert) else None)


def list_suites():
    import tlslite
    from tlslite import handshakesettings as hs
    # Every name tlslite-ng knows, not a default HandshakeSettings(): the
    # defaults leave out ciphers it implements (aes128ccm_8, aes256ccm_8)
    # and key exchanges it has (anonymous, DSA), which a case enables. The
    # harness drops the suites it can't name (RC4, NULL, MD5).
    s = HandshakeSettings()
    s.cipherNames = list(hs.ALL_CIPHER_NAMES)
    s.macNames = list(hs.ALL_MAC_NAMES)
    s.keyExchangeNames = list(dict.fromkeys(hs.KEY_EXCHANGE_NAMES + ["ecdh_anon", "dh_anon", "dhe_dsa"]))
    getters = (CipherSuite.getTLS13Suites, CipherSuite.getCertSuites, CipherSuite.getDheCertSuites,
               CipherSuite.getEcdheCertSuites, CipherSuite.getEcdsaSuites, CipherSuite.getDheDsaSuites,
               CipherSuite.getAnonSuites, CipherSuite.getEcdhAnonSuites, CipherSuite.getSrpSuites,
               CipherSuite.getSrpCertSuites)
    suites = {}
    for name, v in VERSIONS.items():
        for g in getters:
            for code in g(s, v):
                suites.setdefault(str(code), name)
    emit(event="list", version=tlslite.__version__, suites=suites,
         groups=list(s.eccCurves) + list(s.dhGroups))


def anonymous(o):
    """Whether the case's suites are all anonymous: tlslite-ng runs those
    through their own handshake calls, with no certificate on either side."""
    return "kx" in o and set(o["kx"].split(",")) <= {"dh_anon", "ecdh_anon"}


def server(cert, key, conns, o):
    chain, pkey = (None, None) if anonymous(o) else credential(cert, key)
    s = settings(o)
    fit_hashes(s, pkey)
    cache = SessionCache()
    alpn = [p.encode() for p in o["alpn"].split(",")] if "alpn" in o else None
    verifiers = None
    if "srp" in o:
        user, password = o["srp"].split(":", 1)
        verifiers = VerifierDB()
        # OpenSSL's client hashes the salt back from a number, without its
        # leading zero bytes: with a salt that starts with 0 it derives
        # other keys. Such salts are left out so no case flips at random.
        entry = VerifierDB.makeVerifier(user, password, 2048)
        while entry[2][0] == 0:
            entry = VerifierDB.makeVerifier(user, password, 2048)
        verifiers[user.encode()] = entry
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    emit(event="listening", port=lsock.getsockname()[1])
    for _ in range(conns):
        sock, _ = lsock.accept()
        sock.settimeout(10)
        conn = TLSConnection(sock)
        try:
            conn.handshakeServer(verifierDB=verifiers, certChain=chain, privateKey=pkey, settings=s,
                                 reqCert=bool(o.get("reqcert")), sessionCache=cache, alpn=alpn,
                                 anon=anonymous(o))
        except Exception as e:  # any failure is the case's outcome
            failed(e, "server")
            sock.close()
            continue
        report(conn, "server")
        try:
            conn.write(read_up_to(conn, len(PING)))
            conn.close()
        except Exception as e:
            emit(event="exchange-error", message=str(e))
        sock.close()


def read_up_to(conn, n):
    """Reads until n bytes arrived or the peer closed."""
    data = b""
    while len(data) < n:
        chunk = conn.read(max=n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def client(port, conns, o):
    s = settings(o)
    # tlslite-ng 0.8.2's client decides whether to compress its certificate
    # (RFC 8879) from its own ClientHello, not from the server's
    # CertificateRequest, so it sends a CompressedCertificate to a server
    # that offered no compression, which the server rightly refuses with
    # unexpected_message. It compresses nothing, then.
    s.certificate_compression_send = []
    chain, pkey = credential(o["cert"], o["key"]) if "cert" in o else (None, None)
    fit_hashes(s, pkey)
    alpn = [p.encode() for p in o["alpn"].split(",")] if "alpn" in o else None
    session = None
    for _ in range(conns):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        conn = TLSConnection(sock)
        try:
            if anonymous(o):
                conn.handshakeClientAnonymous(session=session, settings=s, serverName=o.get("sni"))
            elif "srp" in o:
                user, password = o["srp"].split(":", 1)
                conn.handshakeClientSRP(bytearray(user.encode()), bytearray(password.encode()), session=session,
                                        settings=s, serverName=o.get("sni"))
            else:
                conn.handshakeClientCert(certChain=chain, privateKey=pkey, session=session,
                                         settings=s, serverName=o.get("sni"), alpn=alpn)
        except Exception as e:
            failed(e, "client")
            return
        report(conn, "client")
        try:
            conn.write(PING)
            emit(event="pong", ok=len(read_up_to(conn, len(PONG))) == len(PONG))
            session = conn.session
            conn.close()
        except Exception as e:
            emit(event="pong", ok=False, message=str(e))
            return
        sock.close()


def main(argv):
    if argv[0] == "list":
        list_suites()
    elif argv[0] == "server":
        server(argv[1], argv[2], int(argv[3]), options(argv[4:]))
    elif argv[0] == "client":
        client(int(argv[1]), int(argv[2]), options(argv[3:]))


if __name__ == "__main__":
    main(sys.argv[1:])
