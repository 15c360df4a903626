package apikey

// Role is a named set of permissions, given to console users and to keys alike.
type Role string

const (
	RoleGlobalAdmin   Role = "global-admin"
	RoleGlobalViewer  Role = "global-viewer"
	RoleAccountViewer Role = "account-viewer"
	RoleSupport       Role = "support"
)

// Roles lists every role in display order.
var Roles = []Role{RoleGlobalAdmin, RoleGlobalViewer, RoleAccountViewer, RoleSupport}

// Label is the name shown to people.
func (r Role) Label() string {
	switch r {
	case RoleGlobalAdmin:
		return "Global Admin"
	case RoleGlobalViewer:
		return "Global Viewer"
	case RoleAccountViewer:
		return "Account Viewer"
	case RoleSupport:
		return "Support"
	}
	return string(r)
}

// Scope says in words what the role may do, as the contract lists it.
func (r Role) Scope() string {
	switch r {
	case RoleGlobalAdmin:
		return "everything, in every account"
	case RoleGlobalViewer:
		return "read everything, and change nothing"
	case RoleAccountViewer:
		return "read keys in the accounts it names, and change nothing"
	case RoleSupport:
		return "read keys, and regenerate keys of type Chrome; nothing else"
	}
	return "nothing"
}

// Known tells whether r is one of the defined roles.
func (r Role) Known() bool {
	_, ok := rolePermissions[r]
	return ok
}

// Permission is one thing a role may do.
type Permission string

const (
	ViewApiKey          Permission = "ViewApiKey"
	ModifyApiKey        Permission = "ModifyApiKey"
	DeleteApiKey        Permission = "DeleteApiKey"
	RegenerateChromeKey Permission = "RegenerateChromeKey"
	ManageUsers         Permission = "ManageUsers"
	ViewAudit           Permission = "ViewAudit"
)

var rolePermissions = map[Role][]Permission{
	RoleGlobalAdmin:   {ViewApiKey, ModifyApiKey, DeleteApiKey, RegenerateChromeKey, ManageUsers, ViewAudit},
	RoleGlobalViewer:  {ViewApiKey, ViewAudit},
	RoleAccountViewer: {ViewApiKey},
	RoleSupport:       {ViewApiKey, RegenerateChromeKey},
}

// Has tells whether the role grants p.
func (r Role) Has(p Permission) bool {
	for _, q := range rolePermissions[r] {
		if q == p {
			return true
		}
	}
	return false
}
