//! A transport layer that counts JSON-RPC round trips, per method: how the project measures
//! what each flow costs on the wire (BENCHMARKS.md), and a tool for users who want the same
//! numbers for their own flows.
//!
//! A batch (several calls in one HTTP request) counts as one round trip.
//!
//! ```
//! use alloy_provider::ProviderBuilder;
//! use alloy_rpc_client::ClientBuilder;
//! use smart_sessions_client::transport::RoundTrips;
//!
//! let trips = RoundTrips::default();
//! let client = ClientBuilder::default()
//!     .layer(trips.layer())
//!     .http("http://127.0.0.1:8545".parse().unwrap());
//! let provider = ProviderBuilder::new().connect_client(client);
//! # let _ = provider;
//! assert_eq!(trips.total(), 0);
//! ```

use alloy_json_rpc::{RequestPacket, ResponsePacket};
use alloy_transport::{TransportError, TransportFut};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
};
use tower::{Layer, Service};

/// Shared round-trip counters; clones count into the same totals.
#[derive(Clone, Debug, Default)]
pub struct RoundTrips {
    inner: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    total: u64,
    methods: BTreeMap<String, u64>,
}

impl RoundTrips {
    /// A layer for `alloy_rpc_client::ClientBuilder::layer` counting into these counters.
    pub fn layer(&self) -> CountingLayer {
        CountingLayer { trips: self.clone() }
    }

    fn record(&self, packet: &RequestPacket) {
        let mut c = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        c.total += 1;
        for m in packet.method_names() {
            *c.methods.entry(m.to_string()).or_default() += 1;
        }
    }

    /// Round trips (HTTP requests) so far.
    pub fn total(&self) -> u64 {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).total
    }

    /// Calls per method so far (a batch contributes each of its calls).
    pub fn methods(&self) -> BTreeMap<String, u64> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).methods.clone()
    }

    /// Resets the counters to zero.
    pub fn reset(&self) {
        *self.inner.lock().unwrap_or_else(PoisonError::into_inner) = Counts::default();
    }
}

/// The tower layer of [`RoundTrips`].
#[derive(Clone, Debug)]
pub struct CountingLayer {
    trips: RoundTrips,
}

impl<S> Layer<S> for CountingLayer {
    type Service = CountingService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CountingService { inner, trips: self.trips.clone() }
    }
}

/// A transport that counts the requests it forwards.
#[derive(Clone, Debug)]
pub struct CountingService<S> {
    inner: S,
    trips: RoundTrips,
}

impl<S> Service<RequestPacket> for CountingService<S>
where
    S: Service<
            RequestPacket,
            Response = ResponsePacket,
            Error = TransportError,
            Future = TransportFut<'static>,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: RequestPacket) -> Self::Future {
        self.trips.record(&req);
        self.inner.call(req)
    }
}
