package clouddb

import (
	"errors"
	"fmt"
)

// ErrUnsupported marks what CloudBase does and clouddb cannot do exactly
// (errors.Is): its callers answer "use something else", where a query
// CloudBase itself would refuse is answered as invalid.
var ErrUnsupported = errors.New("not supported")

type unsupportedError struct{ message string }

func (e *unsupportedError) Error() string        { return e.message }
func (e *unsupportedError) Is(target error) bool { return target == ErrUnsupported }

// unsupportedf is an error that errors.Is(ErrUnsupported).
func unsupportedf(format string, args ...any) error {
	return &unsupportedError{message: fmt.Sprintf(format, args...)}
}

// ErrLimit marks a pipeline stopped by one of its Limits (errors.Is).
var ErrLimit = errors.New("limit exceeded")

type limitError struct{ message string }

func (e *limitError) Error() string        { return e.message }
func (e *limitError) Is(target error) bool { return target == ErrLimit }

// limitf is an error that errors.Is(ErrLimit).
func limitf(format string, args ...any) error {
	return &limitError{message: fmt.Sprintf(format, args...)}
}
