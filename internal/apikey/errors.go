package apikey

import (
	"errors"
	"fmt"
	"time"
)

// Error codes shared by every layer; the HTTP layer maps them to statuses so
// that no handler ever parses a driver's error text.
const (
	ENOTFOUND  = "not_found"
	ECONFLICT  = "conflict"
	EINVALID   = "invalid"
	EFORBIDDEN = "forbidden"
	EINTERNAL  = "internal"
	// EUNAVAILABLE: the database takes no writes for now (a full disk, a
	// read-only file or server, a lost connection); it passes.
	EUNAVAILABLE = "unavailable"
)

// Error is an error with a code and a message fit to show a person; Field,
// when set, names the input field the message belongs beside.
type Error struct {
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds an *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf builds an *Error that belongs beside an input field.
func FieldErrorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Field: field}
}

// ErrorField gives the field of the first *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrorCode gives the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage gives the message of the first *Error in err's chain, or a
// generic one that reveals nothing of the cause.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// StaleError says a save was refused because someone else saved the key
// first; it carries who and when, so the form can tell the user.
type StaleError struct {
	UpdatedBy string
	UpdatedAt time.Time
	Version   int
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("key was changed by %s at %s (now version %d)", e.UpdatedBy, e.UpdatedAt.Format(time.RFC3339), e.Version)
}

// Unwrap makes a StaleError count as an ECONFLICT *Error.
func (e *StaleError) Unwrap() error {
	return Errorf(ECONFLICT, "%s changed this key at %s UTC, after you opened it.", e.UpdatedBy, e.UpdatedAt.UTC().Format("2006-01-02 15:04"))
}
