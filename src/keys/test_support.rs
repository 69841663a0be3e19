//! RSA 2048 public keys (base64url `n`, `e` = `AQAB`) generated with openssl for the key store tests.
//! Shared by `src/keys` unit tests and `tests/keys.rs` (included there by path).

/// Modulus of test key 1.
pub(crate) const N1: &str = "1atkAooedpaFjuPKTRO6DJvkNL0bZokxd13HdcFA-gHvrC1D6ntFzuZGLLVPCREiXngeDSaLAYcsIEY_e661oFUsdyHbbB0TdYGxNhknP9ITm_42Kq-Ti6qNJwZpq-DVSDApyZXOvBEuK_tFxaxVWCyuHCyNP1LuARTG0t9s9n30SZQlIsu5izdc0IooA8tUK66jqndECn4pIbbJZyau8IumS9E2FAyvppvxiH_WIDdfT3DYSWwZOngPZjGW1uMQY9xMth_aCLCem0aAj9pPxMo7bVJquz05z9if1RFnbXIAoq7KfcDaww7UsfezRiTL5PpS_dXsoxMof1WrhlVG4Q";
/// Modulus of test key 2.
pub(crate) const N2: &str = "pvgjHF22YIZx-BEdF8kAC9nspwApIUlp2uhMsIABzoj-7C8sGVSuYHQ0cnrBQmMbX1oNcsCeK1Zzh9whLYyOE_Mcr8Ke9mbAMl-HnmotwKDvaUWT7kkNcu-lm4hams2YDPph3eXZ72afJOoUYjT82OlPxAj7AVLNjkfqVpQ3thdJPONNL_TShLDPEvSQg5lQcFYUfOZ_UteUVqxy6FaosrbZI0F2g3OjJjSGNSg_6W8nJMWQGWpfjwUEO3GhZZvDtKBydEB5rFXo5IOM70GIphkY_-PQ50SiT_fytBq3lD_NFkWSBcqx1awkbuI73NPgszRUf2yRKdSuP5Tsrj1phQ";
/// Modulus of test key 3.
pub(crate) const N3: &str = "wPJDT1jiim1timUp5Y8L-CbCtgNZaqSze9j85Xp1h25gnn3MC5H5CYrF-Hx9Sov37KNDLFkmDrqA3gbG7tJRpF8Ob7tnff7fJFZVWFigrUYVRQcRcT1ri-jtnREyI_2dP6dN0rL7lqZEb4zIQ27KB25mcafsXDXViU9YUL_nFwUI346qzjfmhcWv4dfsMfcV-EJ7j1THZIBMDgt5YvmEjXKFbOCWfalHbjWpSChrJxyuOp26LXwy5S_uFqHJ7SPPIlAh12GEob3KsaK1ZIoECDP8S4IbLWKGlppukl102t7EGgHnmHo4oEfplW9I2Xu349_XOSncbuz5HZqAjlBYAw";
/// A message signed with test key 1's private key (RS256).
pub(crate) const MESSAGE: &[u8] = b"tower-supertokens keys test";
/// `MESSAGE` signed with RSASSA-PKCS1-v1_5 SHA-256 by test key 1, base64url.
pub(crate) const SIGNATURE_1: &str = "ga6uW9VC0m0mAJXxPf6wLV3n4on4-9WPX46Rc1nCnefuJwkMXFNcY9lpJddrG5WN2pA9lJr6d7gzzhymzz-KmWhGQKlWop0PcRI2Pe2piqdLemG5F3HVtugmihWsBvEosXk1Lt-0fxfKqytvxDcTbZ-MdK7lFCbrRhEmvOxj_IU3CYC6BKDSNKEud-s7AaehSeBCKC9hzgWfC-ospCAqsWvleEPhr2onbkhzL6vXnr1XEwTZyRz6r4-i2VQ3YG3rNplF0Hd6AkI6DfnWNECRGpZ6NbdBcTvay9kfd_2RwAy0uy8yM2we9xc0hcl0KTScdY2iRuqq5JjeM3FSJolSag";

/// One RSA JWK with the fields SuperTokens' core publishes.
pub(crate) fn jwk(kid: &str, n: &str) -> String {
    format!(r#"{{"kty":"RSA","kid":"{kid}","n":"{n}","e":"AQAB","alg":"RS256","use":"sig"}}"#)
}

/// A JWKS holding `keys` (already serialised JWKs).
pub(crate) fn jwks(keys: &[String]) -> String {
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}
