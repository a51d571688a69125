// tls-harness's driver for JSSE (the JDK's SunJSSE provider): plays one
// side of a case and reports each step as a JSON line on stdout.
//
//   list                               what JSSE enables by default
//   server CHAIN KEY CONNS [options]   listens on 127.0.0.1:0, says the port
//   client PORT CONNS [options]        connects CONNS times (the later ones
//                                      resume from the context's cache)
//
// options: --timeout MS (every accept, connect and read), --protocols
// TLSv1.3,TLSv1.2, --suites (IANA names), --groups (JSSE names, set as
// jdk.tls.namedGroups), --alpn a,b, --ca ROOT.pem (the trust anchor),
// --verify (client: check the chain and the host name "localhost";
// server: require a client certificate), --cert F --key F (client),
// --sni NAME (client: send it; server: refuse any other name),
// --notickets (server), --switch-name NAME --switch-cert F --switch-key F
// (server: the credential for a client that asks for NAME).
//
// The JDK's java.security is left as it is: what is tested is what a
// user of this JDK gets.

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;

public class Driver {
    static final byte[] PING = "tls-harness ping\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] PONG = "tls-harness pong\n".getBytes(StandardCharsets.US_ASCII);
    static final char[] PASS = "tls-harness".toCharArray();

    public static void main(String[] argv) throws Exception {
        switch (argv[0]) {
            case "list":
                list();
                break;
            case "server": {
                Map<String, String> o = options(argv, 4);
                properties(o);
                server(argv[1], argv[2], Integer.parseInt(argv[3]), o);
                break;
            }
            case "client": {
                Map<String, String> o = options(argv, 3);
                properties(o);
                client(Integer.parseInt(argv[1]), Integer.parseInt(argv[2]), o);
                break;
            }
            default:
                throw new IllegalArgumentException("unknown command " + argv[0]);
        }
    }

    static Map<String, String> options(String[] argv, int from) {
        Map<String, String> o = new HashMap<>();
        for (int i = from; i < argv.length; i++) {
            String key = argv[i].replaceFirst("^--", "");
            if (key.equals("verify") || key.equals("notickets")) {
                o.put(key, "true");
            } else {
                o.put(key, argv[++i]);
            }
        }
        return o;
    }

    /** Settings JSSE reads from system properties only, before its first use. */
    static void properties(Map<String, String> o) {
        if (o.containsKey("groups")) {
            System.setProperty("jdk.tls.namedGroups", o.get("groups"));
        }
        if (o.containsKey("notickets")) {
            System.setProperty("jdk.tls.server.enableSessionTicketExtension", "false");
        }
    }

    static void list() throws Exception {
        SSLParameters d = SSLContext.getDefault().getDefaultSSLParameters();
        StringBuilder b = new StringBuilder("{\"event\":\"list\",\"version\":");
        b.append(str(System.getProperty("java.version")));
        b.append(",\"protocols\":").append(array(d.getProtocols()));
        b.append(",\"suites\":").append(array(d.getCipherSuites()));
        b.append('}');
        System.out.println(b);
        System.out.flush();
    }

    // ---- JSON output ----

    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static String array(String[] items) {
        List<String> q = new ArrayList<>();
        for (String s : items) {
            q.add(str(s));
        }
        return "[" + String.join(",", q) + "]";
    }

    /** One JSON line: keys and values alternate; a value is already JSON. */
    static synchronized void emit(String... kv) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) {
                b.append(',');
            }
            b.append(str(kv[i])).append(':').append(kv[i + 1]);
        }
        System.out.println(b.append('}'));
        System.out.flush();
    }

    // ---- credentials ----

    static List<X509Certificate> certificates(String path) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(Paths.get(path))) {
            Collection<? extends Certificate> all = cf.generateCertificates(in);
            for (Certificate c : all) {
                out.add((X509Certificate) c);
            }
        }
        return out;
    }

    /** A PKCS#8 PEM key ("BEGIN PRIVATE KEY", as the test PKI writes them). */
    static PrivateKey privateKey(String path) throws Exception {
        String pem = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.US_ASCII);
        String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body));
        Exception last = null;
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "DSA", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (Exception e) {
                last = e;
            }
        }
        throw new IllegalArgumentException("no key factory reads " + path, last);
    }

    static KeyManager[] keyManagers(String chain, String key) throws Exception {
        if (chain == null) {
            return null;
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        List<X509Certificate> certs = certificates(chain);
        ks.setKeyEntry("me", privateKey(key), PASS, certs.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASS);
        return kmf.getKeyManagers();
    }

    /**
     * The server's key manager when it switches certificates on SNI: the
     * default credential, and the one for the name --switch-name names.
     * JSSE's SunX509 key manager lists which of the two fit the key type
     * the handshake asks for; this picks by the name the client sent.
     */
    static KeyManager[] switchingKeyManagers(String chain, String key, Map<String, String> o)
            throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("default", privateKey(key), PASS,
                       certificates(chain).toArray(new Certificate[0]));
        ks.setKeyEntry("switch", privateKey(o.get("switch-key")), PASS,
                       certificates(o.get("switch-cert")).toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, PASS);
        X509KeyManager jdk = (X509KeyManager) kmf.getKeyManagers()[0];
        String name = o.get("switch-name");
        return new KeyManager[] {new X509ExtendedKeyManager() {
            String pick(String keyType, Principal[] issuers, SSLSession handshake) {
                boolean asked = false;
                if (handshake instanceof ExtendedSSLSession) {
                    for (SNIServerName n : ((ExtendedSSLSession) handshake).getRequestedServerNames()) {
                        asked |= n instanceof SNIHostName
                            && ((SNIHostName) n).getAsciiName().equalsIgnoreCase(name);
                    }
                }
                String want = asked ? "switch" : "default";
                String[] fit = jdk.getServerAliases(keyType, issuers);
                return fit != null && Arrays.asList(fit).contains(want) ? want : null;
            }

            public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                return pick(keyType, issuers, ((SSLSocket) socket).getHandshakeSession());
            }

            public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine e) {
                return pick(keyType, issuers, e.getHandshakeSession());
            }

            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return jdk.getServerAliases(keyType, issuers);
            }

            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return null;
            }

            public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                return null;
            }

            public X509Certificate[] getCertificateChain(String alias) {
                return jdk.getCertificateChain(alias);
            }

            public PrivateKey getPrivateKey(String alias) {
                return jdk.getPrivateKey(alias);
            }
        }};
    }

    static TrustManager[] trustManagers(String root, boolean verify) throws Exception {
        if (!verify || root == null) {
            // This side checks nothing of its peer's chain.
            return new TrustManager[] {new X509TrustManager() {
                public void checkClientTrusted(X509Certificate[] c, String a) {}
                public void checkServerTrusted(X509Certificate[] c, String a) {}
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }};
        }
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        int i = 0;
        for (X509Certificate c : certificates(root)) {
            ts.setCertificateEntry("root" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        anchors = ts;
        X509ExtendedTrustManager jdk = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
        return new TrustManager[] {new Recording(jdk)};
    }

    /** The trust store, for naming why a chain was refused. */
    static KeyStore anchors;
    /** The last chain JSSE's trust manager refused. */
    static volatile X509Certificate[] refused;

    /**
     * JSSE's own trust manager, unchanged, but for remembering a chain it
     * refuses: its PKIX path builder drops a certificate that is out of its
     * validity period or chains to no anchor alike, and says only "unable
     * to find valid certification path to requested target" (seen with
     * the test PKI's expired, not-yet-valid, self-signed, untrusted-root
     * and missing-intermediate leaves, all answered with
     * certificate_unknown). The JDK's PKIX validator then names the reason
     * (see {@link #why}).
     */
    static final class Recording extends X509ExtendedTrustManager {
        final X509ExtendedTrustManager jdk;

        Recording(X509ExtendedTrustManager jdk) {
            this.jdk = jdk;
        }

        void check(X509Certificate[] chain, Check c) throws CertificateException {
            try {
                c.run();
            } catch (CertificateException e) {
                refused = chain;
                throw e;
            }
        }

        interface Check {
            void run() throws CertificateException;
        }

        public void checkClientTrusted(X509Certificate[] ch, String a) throws CertificateException {
            check(ch, () -> jdk.checkClientTrusted(ch, a));
        }

        public void checkServerTrusted(X509Certificate[] ch, String a) throws CertificateException {
            check(ch, () -> jdk.checkServerTrusted(ch, a));
        }

        public void checkClientTrusted(X509Certificate[] ch, String a, Socket s) throws CertificateException {
            check(ch, () -> jdk.checkClientTrusted(ch, a, s));
        }

        public void checkServerTrusted(X509Certificate[] ch, String a, Socket s) throws CertificateException {
            check(ch, () -> jdk.checkServerTrusted(ch, a, s));
        }

        public void checkClientTrusted(X509Certificate[] ch, String a, SSLEngine e) throws CertificateException {
            check(ch, () -> jdk.checkClientTrusted(ch, a, e));
        }

        public void checkServerTrusted(X509Certificate[] ch, String a, SSLEngine e) throws CertificateException {
            check(ch, () -> jdk.checkServerTrusted(ch, a, e));
        }

        public X509Certificate[] getAcceptedIssuers() {
            return jdk.getAcceptedIssuers();
        }
    }

    /**
     * Why the JDK's PKIX validator refuses `chain` (as sent, leaf first)
     * against the trust store, in its words: its reason
     * (CertPathValidatorException.BasicReason: EXPIRED, NOT_YET_VALID,
     * NO_TRUST_ANCHOR, ...) and message.
     */
    static String why(X509Certificate[] chain) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX")
                .validate(cf.generateCertPath(distinct(chain)), params);
            return "the JDK's PKIX validator accepts the chain";
        } catch (CertPathValidatorException e) {
            return "the JDK's PKIX validator says " + e.getReason() + ": " + chain(e);
        } catch (Exception e) {
            return "the JDK's PKIX validator could not run: " + chain(e);
        }
    }

    static SSLParameters parameters(SSLSocket s, Map<String, String> o) {
        SSLParameters p = s.getSSLParameters();
        if (o.containsKey("protocols")) {
            p.setProtocols(o.get("protocols").split(","));
        }
        if (o.containsKey("suites")) {
            p.setCipherSuites(o.get("suites").split(","));
        }
        if (o.containsKey("alpn")) {
            p.setApplicationProtocols(o.get("alpn").split(","));
        }
        return p;
    }

    // ---- reports ----

    static String name(String protocol) {
        switch (protocol) {
            case "TLSv1.3": return "tls1_3";
            case "TLSv1.2": return "tls1_2";
            case "TLSv1.1": return "tls1_1";
            case "TLSv1": return "tls1";
            default: return protocol;
        }
    }

    static void report(SSLSocket s, String role) {
        SSLSession ss = s.getSession();
        String alpn = s.getApplicationProtocol();
        String sni = null;
        if (ss instanceof ExtendedSSLSession) {
            for (SNIServerName n : ((ExtendedSSLSession) ss).getRequestedServerNames()) {
                if (n instanceof SNIHostName) {
                    sni = ((SNIHostName) n).getAsciiName();
                }
            }
        }
        emit("event", str("handshake"), "role", str(role),
             "version", str(name(ss.getProtocol())),
             "suite", str(ss.getCipherSuite()),
             "alpn", str(alpn == null || alpn.isEmpty() ? null : alpn),
             "sni", str(role.equals("server") ? sni : null));
    }

    static final Pattern RECEIVED = Pattern.compile("Received fatal alert: ([a-z_]+)");

    /** The exception and its causes, each "Class: message", joined by "; caused by ". */
    static String chain(Throwable e) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = e; t != null && parts.size() < 6; t = t.getCause()) {
            String m = t.getMessage();
            parts.add(t.getClass().getName() + (m == null ? "" : ": " + m));
            if (t.getCause() == t) {
                break;
            }
        }
        return String.join("; caused by ", parts);
    }

    /** Whether the failure is JSSE refusing its peer's certificate. */
    static boolean certificateRefused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException
                    || t instanceof java.security.cert.CertPathValidatorException
                    || t instanceof java.security.cert.CertPathBuilderException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    static void failed(Throwable e, String role, String event) {
        String words = chain(e);
        Matcher m = RECEIVED.matcher(words);
        String received = m.find() ? m.group(1) : null;
        emit("event", str(event), "role", str(role), "ok", "false", "message", str(words),
             "alert_received", str(received),
             "verify_error", str(received == null && certificateRefused(e) ? refusal(words) : null));
    }

    /** The chain without repeats (a peer may send its leaf twice), in order. */
    static List<X509Certificate> distinct(X509Certificate[] chain) {
        List<X509Certificate> out = new ArrayList<>();
        for (X509Certificate c : chain) {
            if (!out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    /** JSSE's words for a refused chain, with the validator's reason when JSSE gives none. */
    static String refusal(String words) {
        X509Certificate[] chain = refused;
        if (chain == null || !words.contains("PKIX path building failed")) {
            return words;
        }
        return words + "; " + why(chain);
    }

    static byte[] readUpTo(InputStream in, int n) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[n];
        while (got.size() < n) {
            int k = in.read(buf, 0, n - got.size());
            if (k < 0) {
                break;
            }
            got.write(buf, 0, k);
        }
        return got.toByteArray();
    }

    // ---- the two roles ----

    static void server(String chain, String key, int conns, Map<String, String> o) throws Exception {
        int timeout = Integer.parseInt(o.getOrDefault("timeout", "10000"));
        boolean verify = o.containsKey("verify");
        SSLContext ctx = SSLContext.getInstance("TLS");
        KeyManager[] kms = o.containsKey("switch-name")
            ? switchingKeyManagers(chain, key, o)
            : keyManagers(chain, key);
        ctx.init(kms, trustManagers(o.get("ca"), verify), null);
        SSLServerSocket ls = (SSLServerSocket) ctx.getServerSocketFactory()
            .createServerSocket(0, 8, InetAddress.getLoopbackAddress());
        ls.setSoTimeout(timeout);
        emit("event", str("listening"), "port", Integer.toString(ls.getLocalPort()));
        for (int i = 0; i < conns; i++) {
            SSLSocket s;
            try {
                s = (SSLSocket) ls.accept();
            } catch (IOException e) {
                failed(e, "server", "error");
                break;
            }
            try {
                s.setSoTimeout(timeout);
                SSLParameters p = parameters(s, o);
                p.setNeedClientAuth(verify);
                if (o.containsKey("sni")) {
                    // Only this name is served: JSSE refuses a client that
                    // asks for another with a fatal unrecognized_name.
                    SNIMatcher only = SNIHostName.createSNIMatcher(Pattern.quote(o.get("sni")));
                    p.setSNIMatchers(Arrays.asList(only));
                }
                s.setSSLParameters(p);
                s.startHandshake();
            } catch (Exception e) {
                failed(e, "server", "error");
                s.close();
                continue;
            }
            report(s, "server");
            try {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                readUpTo(in, PING.length);
                out.write(PONG);
                out.flush();
                s.close();
            } catch (Exception e) {
                failed(e, "server", "exchange-error");
                s.close();
            }
        }
        ls.close();
    }

    static void client(int port, int conns, Map<String, String> o) throws Exception {
        int timeout = Integer.parseInt(o.getOrDefault("timeout", "10000"));
        boolean verify = o.containsKey("verify");
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keyManagers(o.get("cert"), o.get("key")), trustManagers(o.get("ca"), verify), null);
        for (int i = 0; i < conns; i++) {
            Socket raw = new Socket();
            SSLSocket s = null;
            try {
                raw.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeout);
                raw.setSoTimeout(timeout);
                // The host name is what the client checks the certificate
                // against. JSSE sends no SNI of its own for a name without a
                // dot (RFC 6066 section 3: a fully qualified name), so
                // "localhost" goes out only when asked for with --sni.
                s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, "localhost", port, true);
                SSLParameters p = parameters(s, o);
                if (verify) {
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                }
                if (o.containsKey("sni")) {
                    p.setServerNames(Arrays.asList(new SNIHostName(o.get("sni"))));
                }
                s.setSSLParameters(p);
                s.startHandshake();
            } catch (Exception e) {
                failed(e, "client", "error");
                raw.close();
                return;
            }
            report(s, "client");
            try {
                OutputStream out = s.getOutputStream();
                out.write(PING);
                out.flush();
                byte[] answer = readUpTo(s.getInputStream(), PONG.length);
                emit("event", str("pong"), "ok", answer.length == PONG.length ? "true" : "false");
                s.close();
            } catch (Exception e) {
                failed(e, "client", "pong");
                s.close();
                return;
            }
        }
    }
}
