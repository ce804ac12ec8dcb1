package store

import lifeline "github.com/lifeline-health/lifeline"

// errNotBuilt is returned by methods that are not written yet.
var errNotBuilt = lifeline.Errorf(lifeline.EINTERNAL, lifeline.T("此功能尚未实现", "not built yet"))
