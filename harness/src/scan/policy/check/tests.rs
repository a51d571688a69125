use super::*;

#[test]
fn group_aliases_meet() {
    assert_eq!(canonical_group("P-256"), canonical_group("prime256v1"));
    assert_eq!(canonical_group("secp384r1"), canonical_group("P-384"));
}
