package sms

import "net/http"

// Mount adds another handler to the gateway, such as the city platform's
// POST /api/v1/results, behind the same admission limit as SMS, so a storm
// of pushed results sheds with 503 like a storm of texts does instead of
// slowing the SMS replies down. Bodies are capped at maxBody bytes.
func (s *Server) Mount(pattern string, h http.Handler, maxBody int64) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.admit.acquire(r.Context().Done()) {
			s.metrics.refused.WithLabelValues("busy").Inc()
			w.Header().Set("Retry-After", "30")
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		defer s.admit.release()
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		h.ServeHTTP(w, r)
	}))
}
