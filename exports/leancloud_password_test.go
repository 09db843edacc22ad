package exports

import "testing"

// The test vector of LeanCloud's own documentation.
const (
	vectorSalt = "h60d8x797d3oa0naxybxxv9bn7xpt2yiowz68mpiwou7gwr2"
	vectorHash = "tA7BLW+NK0UeARng0693gCaVnljkglCB9snqlpCSUKjx2RgYp8VZZOQt0S5iUtlDrkJXfT3gknS4rRqjYsd/Ug=="
)

func TestLeanCloudPasswordMatchesTheDocumentedVector(t *testing.T) {
	if !LeanCloudPasswordMatches(vectorSalt, vectorHash, "password") {
		t.Fatal("the documented password does not match its hash")
	}
	for _, c := range []struct{ salt, hash, plain string }{
		{vectorSalt, vectorHash, "Password"},
		{vectorSalt, vectorHash, ""},
		{vectorSalt + "x", vectorHash, "password"},
		{"", vectorHash, "password"},
		{vectorSalt, "not base64!", "password"},
		{vectorSalt, vectorHash[:20], "password"},
	} {
		if LeanCloudPasswordMatches(c.salt, c.hash, c.plain) {
			t.Errorf("matched: %+v", c)
		}
	}
}
