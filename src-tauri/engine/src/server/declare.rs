//! The macro that turns the list of operations in `operations.rs` into everything derived from
//! it: the [`Request`](super::Request) enum an HTTP request is parsed into, the
//! [`Server`](super::Server) trait each kind of server implements (a missing operation does
//! not compile), the dispatch from one to the other, and the [`OPERATIONS`](super::OPERATIONS)
//! table the REST router and the OpenAPI document are built from.

macro_rules! operations {
    ($(
        $summary:literal
        $name:ident => $variant:ident: $($method:ident)|+ $path:literal { $($param:ident: $ptype:ty),* }
            query: $query:ty, body: $body:ty,
            answers $status:literal $message:literal $answer:ty,
            errors [$($error:literal),*];
    )*) => {
        /// One call of an operation, with its inputs parsed.
        #[derive(Debug)]
        pub enum Request {
            $(
                #[doc = $summary]
                $variant { $($param: $ptype,)* query: $query, body: $body },
            )*
        }

        /// A server that answers the Hoody API: this machine's engine, or a remote endpoint.
        #[async_trait::async_trait]
        pub trait Server: Send + Sync {
            $(
                #[doc = $summary]
                async fn $name(&self, $($param: $ptype,)* query: $query, body: $body) -> $crate::Result<$answer>;
            )*

            /// An error of any operation, told with what this server knows of its cause (a
            /// full disk names the data directory and the space missing).
            fn explain(&self, error: $crate::EngineError) -> $crate::EngineError {
                error
            }

            /// The bytes of export `export` from byte `offset` on (`GET
            /// /exports/{export}/layer`: not a declared operation, its answer is not JSON).
            async fn export_bytes(&self, export: hoody_model::Id, offset: u64) -> $crate::Result<$crate::ByteStream>;

            /// Adds `bytes` to import `import` at byte `offset` (`PUT
            /// /imports/{import}/layer?offset=N`); answers how far it has got.
            async fn import_bytes(
                &self,
                import: hoody_model::Id,
                offset: u64,
                bytes: $crate::ByteStream,
            ) -> $crate::Result<hoody_model::ContainerImport>;
        }

        impl Request {
            /// The operation's name (its row in [`OPERATIONS`]).
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => stringify!($name),)*
                }
            }

            /// The HTTP call that asks a server for it.
            pub fn to_http(&self) -> HttpCall {
                match self {
                    $(Self::$variant { $($param,)* query, body } => HttpCall {
                        spec: OperationSpec::named(stringify!($name)).expect("a declared operation"),
                        params: vec![$((stringify!($param), PathParam::to_param($param)),)*],
                        query: QueryParams::to_query(query),
                        body: RequestBody::to_json(body),
                    },)*
                }
            }

            /// Has `server` do it; answers `data` as the envelope carries it.
            pub async fn send_to<S: Server + ?Sized>(self, server: &S) -> $crate::Result<serde_json::Value> {
                match self {
                    $(Self::$variant { $($param,)* query, body } => {
                        let answer = server.$name($($param,)* query, body).await.map_err(|e| server.explain(e))?;
                        Ok(serde_json::to_value(answer).expect("answers serialise to JSON"))
                    })*
                }
            }
        }

        /// A server reached through a [`Transport`]: each operation is sent as its HTTP call.
        #[async_trait::async_trait]
        impl<T: Transport> Server for Remote<T> {
            $(
                async fn $name(&self, $($param: $ptype,)* query: $query, body: $body) -> $crate::Result<$answer> {
                    let data = self.0.send(Request::$variant { $($param,)* query, body }.to_http()).await?;
                    serde_json::from_value(data).map_err(|e| self.0.undecodable(stringify!($name), e))
                }
            )*

            async fn export_bytes(&self, export: hoody_model::Id, offset: u64) -> $crate::Result<$crate::ByteStream> {
                self.0.download(&format!("/exports/{export}/layer"), offset).await
            }

            async fn import_bytes(
                &self,
                import: hoody_model::Id,
                offset: u64,
                bytes: $crate::ByteStream,
            ) -> $crate::Result<hoody_model::ContainerImport> {
                let data = self.0.upload(&format!("/imports/{import}/layer?offset={offset}"), bytes).await?;
                serde_json::from_value(data).map_err(|e| self.0.undecodable("import_bytes", e))
            }
        }

        /// A server whose answers are shown differently here: each container in them passes
        /// through `present` (a remote's under the name and URLs it has on this machine).
        #[async_trait::async_trait]
        impl<S: Server> Server for Presented<S> {
            $(
                async fn $name(&self, $($param: $ptype,)* query: $query, body: $body) -> $crate::Result<$answer> {
                    let mut answer = self.server.$name($($param,)* query, body).await?;
                    Answer::each_container(&mut answer, &mut |c| (self.present)(c));
                    Ok(answer)
                }
            )*

            async fn export_bytes(&self, export: hoody_model::Id, offset: u64) -> $crate::Result<$crate::ByteStream> {
                self.server.export_bytes(export, offset).await
            }

            async fn import_bytes(
                &self,
                import: hoody_model::Id,
                offset: u64,
                bytes: $crate::ByteStream,
            ) -> $crate::Result<hoody_model::ContainerImport> {
                self.server.import_bytes(import, offset, bytes).await
            }
        }

        /// Every operation, in the order of the API's documentation.
        pub const OPERATIONS: &[OperationSpec] = &[$(
            OperationSpec {
                name: stringify!($name),
                methods: &[$(Method::$method),+],
                path: $path,
                params: &[$((stringify!($param), <$ptype as PathParam>::TS)),*],
                summary: $summary,
                status: $status,
                message: $message,
                errors: &[$($error),*],
                query: <$query as QueryParams>::PARAMS,
                body: <$body as RequestBody>::SCHEMA,
                data: <$answer as Answer>::data,
                parse: |input: HttpInput| {
                    Ok(Request::$variant {
                        $($param: <$ptype as PathParam>::from_param(input.param(stringify!($param))?)?,)*
                        query: <$query as QueryParams>::from_query(&input.query)?,
                        body: <$body as RequestBody>::from_json(input.body)?,
                    })
                },
            },
        )*];
    };
}

pub(super) use operations;
