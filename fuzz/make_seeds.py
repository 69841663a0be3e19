# Writes the hand-made seeds of corpus/layer and corpus/upstream and regressions/layer-exp-overflow.
# Run from fuzz/: python3 make_seeds.py (needs openssl; tokens are signed with the test key 0).
import base64, json, os, subprocess
NOW = 1_800_000_000
KEY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "testing", "key0.pem")
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=")
def sign(header, payload):
    h = b64(json.dumps(header, separators=(",", ":")).encode())
    p = b64(json.dumps(payload, separators=(",", ":")).encode())
    msg = h + b"." + p
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=msg, capture_output=True, check=True).stdout
    return (msg + b"." + b64(sig)).decode()
hdr = {"kid": "d-1700000000000", "typ": "JWT", "version": "5", "alg": "RS256"}
def payload(sub, **extra):
    p = {"iat": NOW, "exp": NOW + 3600, "sub": sub, "tId": "public", "rsub": sub,
         "sessionHandle": "0f6c5d2e-1111-4222-8333-444455556666", "refreshTokenHash1": "ab" * 32,
         "parentRefreshTokenHash1": None, "antiCsrfToken": None, "iss": "http://localhost:3001/auth"}
    p.update(extra); return p
valid = sign(hdr, payload("seed-user"))
rich = sign(hdr, payload("seed-rich", antiCsrfToken="csrf-secret", aud=["fuzz-aud"],
            **{"st-ev": {"v": True, "t": NOW * 1000}, "st-role": {"v": ["admin"], "t": NOW * 1000}, "st-mfa": {"c": {}, "v": True}}))
noev = sign(hdr, payload("seed-noev", **{"st-ev": {"v": False, "t": NOW * 1000}, "st-role": {"v": ["admin"], "t": NOW * 1000}, "st-mfa": {"c": {}, "v": True}}))
expired = sign(hdr, payload("seed-exp", exp=NOW - 5))
legacy_hdr = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsInZlcnNpb24iOiIyIn0="
legacy = legacy_hdr + "." + base64.b64encode(b'{"sessionHandle":"h","userId":"u","refreshTokenHash1":"r","parentRefreshTokenHash1":null,"userData":{},"antiCsrfToken":null,"expiryTime":1,"timeCreated":1}').decode() + ".c2ln"

def layer(name, flags, select, lines):
    data = bytes([flags, select]) + b"\n".join(l.encode() if isinstance(l, str) else l for l in lines)
    open(f"corpus/layer/{name}", "wb").write(data)
GET, HEAD, POST = 0, 1, 2
HTML, RID = 0x08, 0x10
layer("page-no-token", GET | HTML, 0, ["/inbox?page=2"])
layer("cookie-valid", GET | HTML, 0, ["/inbox", f"a=1; sAccessToken={valid}; b=2"])
layer("bearer-valid-post", POST, 0, ["/api/x", "", f"Bearer {valid}"])
layer("rich-invalid-claims-page", GET | HTML, 1, ["/dashboard?tab=1", f"sAccessToken={noev}"])
layer("rich-post-csrf", POST, 1, ["/api", f"sAccessToken=\"{rich}\"", "", "csrf-secret"])
layer("cookieonly-expired-head", HEAD | HTML, 2, ["/%2F%2Fevil.example/..", f"sAccessToken={expired}"])
layer("legacy-refresh-page", GET | HTML, 1, ["/a/b?c=%2e%2e", f"sAccessToken={legacy}", "Bearer x.y.z", "", "sIdRefreshToken=1"])
layer("dup-cookie", POST | RID, 2, ["http://evil.example//x", f"sAccessToken={valid}", "", "", f"sAccessToken={valid}"])

def upstream(name, status, select, uri, body, cfg=None):
    data = status.to_bytes(2, "big") + bytes([select]) + uri.encode() + b"\n"
    if cfg: data += b"".join(c.encode() + b"\n" for c in cfg)
    data += body.encode()
    open(f"corpus/upstream/{name}", "wb").write(data)
upstream("401-unauthorised", 401, 0, "/inbox?x=1", '{"message":"unauthorised"}')
upstream("401-try-refresh", 401, 0, "/inbox", '{"message":"try refresh token"}')
upstream("403-st-ev", 403, 0, "/inbox", '{"message":"invalid claim","claimValidationErrors":[{"id":"st-role"},{"id":"st-ev","reason":{"message":"wrong value"}}]}')
upstream("403-self", 403, 0, "/auth/verify-email", '{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev"}]}')
upstream("403-config", 403, 7, "/page", '{"claimValidationErrors":[{"id":"custom"}]}', ["/login", "custom", "/custom page", "/refresh?a=b", "https://api.example.com/"])
upstream("401-config-redirect", 401, 3, "//evil.example/x", '{}', ["/", "st-ev", "//evil", "/\\evil", "javascript:alert(1)"])
upstream("200", 200, 0, "/", 'ok')
upstream("503", 503, 0, "/", '')

# Regression input: a legitimately signed token whose exp overflows SystemTime (state.rs:253).
big = sign(hdr, payload("seed-big-exp", exp=10**19))
open("regressions/layer-exp-overflow", "wb").write(bytes([GET, 0]) + b"/\n\nBearer " + big.encode())

