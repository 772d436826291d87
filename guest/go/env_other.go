// env_other.go — the environment on other platforms (so the package's
// tests run natively): the process environment.

//go:build !wasip1

package wadup

import "os"

func lookupEnv(name string) (string, bool) { return os.LookupEnv(name) }
