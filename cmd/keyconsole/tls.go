package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// certificate holds the server's certificate and key, read from their
// files at start and again on SIGHUP, so that a renewed certificate is
// served without a restart. A reload that fails keeps the old one.
type certificate struct {
	certFile, keyFile string
	current           atomic.Pointer[tls.Certificate]
}

func loadCertificate(certFile, keyFile string) (*certificate, error) {
	c := &certificate{certFile: certFile, keyFile: keyFile}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certificate) reload() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	c.current.Store(&pair)
	return nil
}

// reloadLogged is reload for SIGHUP: the outcome goes to the log.
func (c *certificate) reloadLogged(logger *slog.Logger) {
	if err := c.reload(); err != nil {
		logger.Error("TLS certificate not reloaded; the old one stays", "err", err)
		return
	}
	logger.Info("TLS certificate reloaded", "file", c.certFile)
}

// config is TLS 1.2 and 1.3 with forward-secret AEAD suites only; HTTP/2
// is offered by net/http.
func (c *certificate) config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{ // TLS 1.2; 1.3's are all modern
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.current.Load(), nil },
	}
}
