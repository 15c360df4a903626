package validate

import "strings"

const maxEndpointIDLen = 128

// Endpoint checks the endpoint a user signs in from: an id of 1 to 128
// letters, digits, dots, dashes, underscores or colons (a device or install
// id), and a name shown to admins (the id when none is given). Both may be
// empty together: no endpoint.
func Endpoint(rawID, rawName string) (id, name string, errs Errors) {
	errs = Errors{}
	id, name = strings.TrimSpace(rawID), strings.TrimSpace(rawName)
	if id == "" {
		if name != "" {
			errs.Add("endpoint_id", "Give the endpoint's id along with its name.")
		}
		return "", "", errs
	}
	if len(id) > maxEndpointIDLen || strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r))
	}) >= 0 {
		errs.Add("endpoint_id", "An endpoint id has 1 to 128 letters, digits, dots, dashes, underscores or colons.")
	}
	if name == "" {
		name = id
	} else {
		var msg string
		name, msg = Name(name)
		errs.Add("endpoint_name", msg)
	}
	return id, name, errs
}

// EndpointSecret checks the credential an endpoint presents: "" (a new
// endpoint), or at most 100 characters.
func EndpointSecret(raw string) Errors {
	errs := Errors{}
	if len(raw) > 100 {
		errs.Add("endpoint_secret", "An endpoint secret is the kce_... value the endpoint was given when it registered.")
	}
	return errs
}
