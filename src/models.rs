//! Conveniences on the generated models, written by hand beside them.

use crate::generated::types::PackageVersion;

impl PackageVersion {
    /// The version's tags: the container metadata's `tags`, then the Docker
    /// metadata's `tags` and `tag`, each once, in that order. Empty for
    /// package types without tags (npm, Maven, ...) and for untagged images.
    ///
    /// ```
    /// use github_packages::PackageVersion;
    ///
    /// let version: PackageVersion = serde_json::from_value(serde_json::json!({
    ///     "id": 1, "name": "sha256:0123", "url": "u", "package_html_url": "p",
    ///     "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
    ///     "metadata": {
    ///         "package_type": "container",
    ///         "container": { "tags": ["latest", "v1.2.0"] },
    ///         "docker": { "tag": ["latest", "stable"] }
    ///     }
    /// }))?;
    /// assert_eq!(version.tags(), ["latest", "v1.2.0", "stable"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn tags(&self) -> Vec<&str> {
        let Some(metadata) = &self.metadata else {
            return Vec::new();
        };
        let container = metadata.container.iter().flat_map(|c| &c.tags);
        let docker = metadata
            .docker
            .iter()
            .flat_map(|d| d.tags.iter().chain(&d.tag));
        let mut tags: Vec<&str> = Vec::new();
        for tag in container.chain(docker) {
            if !tags.contains(&tag.as_str()) {
                tags.push(tag);
            }
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use crate::generated::types::PackageVersion;

    fn version(metadata: serde_json::Value) -> PackageVersion {
        serde_json::from_value(serde_json::json!({
            "id": 1, "name": "v", "url": "u", "package_html_url": "p",
            "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
            "metadata": metadata,
        }))
        .unwrap()
    }

    #[test]
    fn tags_keep_their_order_and_appear_once() {
        let npm = version(serde_json::json!({ "package_type": "npm" }));
        assert!(npm.tags().is_empty());
        let docker = version(serde_json::json!({
            "package_type": "docker",
            "docker": { "tags": ["b", "a"], "tag": ["a", "c", "b"] }
        }));
        assert_eq!(docker.tags(), ["b", "a", "c"]);
        let untagged = version(serde_json::json!({
            "package_type": "container",
            "container": { "tags": [] }
        }));
        assert!(untagged.tags().is_empty());
    }
}
