package exports

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
)

// LeanCloudPasswordMatches says whether plain is the password of a
// LeanCloud _User whose export holds salt and hash: LeanCloud stores
// base64(h), h = SHA-512(salt ‖ plain) hashed again with SHA-512 512
// times, not bcrypt. The comparison takes the same time whatever matches.
func LeanCloudPasswordMatches(salt, hash, plain string) bool {
	want, err := base64.StdEncoding.DecodeString(hash)
	if err != nil || len(want) != sha512.Size || salt == "" {
		return false
	}
	h := sha512.Sum512([]byte(salt + plain))
	for range 512 {
		h = sha512.Sum512(h[:])
	}
	return subtle.ConstantTimeCompare(h[:], want) == 1
}
